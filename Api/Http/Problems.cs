using System.Globalization;
using Dispatch.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dispatch.Api;

/// <summary>Every error answer of the API: RFC 9457 problem details whose <c>type</c> is a short name of the contract.</summary>
public static class Problems
{
    public static ProblemHttpResult Of(ErrorKind error, string detail) => error switch
    {
        ErrorKind.Validation => Validation(detail, FieldError(detail)),
        ErrorKind.NotFound => Create(ProblemType.NotFound, detail),
        ErrorKind.Conflict => Create(ProblemType.Conflict, detail),
        ErrorKind.Forbidden => Forbidden(detail),
        ErrorKind.LeaseExpired => Create(ProblemType.LeaseExpired, detail),
        ErrorKind.LeaseNotActive => Create(ProblemType.LeaseNotActive, detail),
        ErrorKind.WorkerBlocked => Create(ProblemType.WorkerBlocked, detail),
        ErrorKind.ProjectNotOpen => Create(ProblemType.ProjectNotOpen, detail),
        ErrorKind.NotReviewable => Create(ProblemType.NotReviewable, detail),
        ErrorKind.InsufficientBalance => Create(ProblemType.InsufficientBalance, detail),
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, "Not a refusal."),
    };

    public static ProblemHttpResult Validation(string detail, IDictionary<string, string[]>? errors = null) =>
        Create(ProblemType.Validation, detail, errors);

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors) =>
        Validation("One or more fields are invalid.", errors);

    public static ProblemHttpResult Unauthenticated() =>
        Create(ProblemType.Unauthenticated, "Send 'Authorization: Bearer <secret>' with a valid admin key, requester key or worker token.");

    public static ProblemHttpResult Forbidden(string detail) => Create(ProblemType.Forbidden, detail);

    public static ProblemHttpResult NotFound(string detail) => Create(ProblemType.NotFound, detail);

    public static ProblemHttpResult TooLarge(string detail) => Create(ProblemType.TooLarge, detail);

    /// <summary>How long a client waits after a <c>503</c>: a lost silo or a database that restarts is back within seconds.</summary>
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary><c>429 rate-limited</c>; sets <c>Retry-After</c> on <paramref name="response"/>, so no 429 goes without it.</summary>
    public static ProblemHttpResult RateLimited(HttpResponse response, TimeSpan retryAfter, string detail)
    {
        SetRetryAfter(response, retryAfter);
        return Create(ProblemType.RateLimited, detail);
    }

    /// <summary><c>503 unavailable</c>; sets <c>Retry-After</c> on <paramref name="response"/>, so no 503 goes without it.</summary>
    public static ProblemHttpResult Unavailable(HttpResponse response, string detail)
    {
        SetRetryAfter(response, UnavailableRetryAfter);
        return Create(ProblemType.Unavailable, detail);
    }

    /// <summary>Sets <c>Retry-After</c> in whole seconds, at least one (a zero would invite an immediate retry).</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan wait) =>
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>A grain's validation refusal reads "field: message"; the field names the error, else the body does.</summary>
    private static Dictionary<string, string[]> FieldError(string detail)
    {
        var colon = detail.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && !detail[..colon].Contains(' ')
            ? new() { [detail[..colon]] = [detail[(colon + 2)..]] }
            : new() { ["body"] = [detail] };
    }

    private static ProblemHttpResult Create(ProblemType type, string detail, IDictionary<string, string[]>? errors = null)
    {
        var extensions = errors is null ? null : new Dictionary<string, object?> { ["errors"] = errors };
        return TypedResults.Problem(detail, statusCode: type.Status, title: type.Title, type: type.Name, extensions: extensions);
    }
}
