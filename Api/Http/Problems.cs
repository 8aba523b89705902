using Dispatch.Common;
using Microsoft.AspNetCore.Http;

namespace Dispatch.Api;

/// <summary>Every error answer of the API: RFC 9457 problem details whose <c>type</c> is a short name of the contract.</summary>
public static class Problems
{
    public static IResult Of(ErrorKind error, string detail) => error switch
    {
        ErrorKind.Validation => Validation(detail, FieldError(detail)),
        ErrorKind.NotFound => Create(StatusCodes.Status404NotFound, "not-found", "Not found", detail),
        ErrorKind.Conflict => Create(StatusCodes.Status409Conflict, "conflict", "Conflict", detail),
        ErrorKind.Forbidden => Forbidden(detail),
        ErrorKind.LeaseExpired => Create(StatusCodes.Status409Conflict, "lease-expired", "Lease expired", detail),
        ErrorKind.LeaseNotActive => Create(StatusCodes.Status409Conflict, "lease-not-active", "Lease not active", detail),
        ErrorKind.WorkerBlocked => Create(StatusCodes.Status403Forbidden, "worker-blocked", "Worker blocked", detail),
        ErrorKind.ProjectNotOpen => Create(StatusCodes.Status409Conflict, "project-not-open", "Project not open", detail),
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, "Not a refusal."),
    };

    public static IResult Validation(string detail, IDictionary<string, string[]>? errors = null) =>
        Create(StatusCodes.Status400BadRequest, "validation", "Invalid request", detail, errors);

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        Validation("One or more fields are invalid.", errors);

    public static IResult Unauthenticated() =>
        Create(StatusCodes.Status401Unauthorized, "unauthenticated", "Unauthenticated", "Send 'Authorization: Bearer <secret>' with a valid admin key, requester key or worker token.");

    public static IResult Forbidden(string detail) => Create(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    public static IResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    public static IResult TooLarge(string detail) => Create(StatusCodes.Status413PayloadTooLarge, "too-large", "Request too large", detail);

    public static IResult RateLimited(string detail) => Create(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests", detail);

    public static IResult Unavailable(string detail) => Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "Service unavailable", detail);

    /// <summary>A grain's validation refusal reads "field: message"; the field names the error, else the body does.</summary>
    private static Dictionary<string, string[]> FieldError(string detail)
    {
        var colon = detail.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && !detail[..colon].Contains(' ')
            ? new() { [detail[..colon]] = [detail[(colon + 2)..]] }
            : new() { ["body"] = [detail] };
    }

    private static IResult Create(int status, string type, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        var extensions = errors is null ? null : new Dictionary<string, object?> { ["errors"] = errors };
        return TypedResults.Problem(detail, statusCode: status, title: title, type: type, extensions: extensions);
    }
}
