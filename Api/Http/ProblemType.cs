using Microsoft.AspNetCore.Http;

namespace Dispatch.Api;

/// <summary>
/// One error <c>type</c> of the contract with its status and title. The answers and the OpenAPI document both read
/// this list, so an error the API can give is always one the document names.
/// </summary>
public sealed record ProblemType(string Name, int Status, string Title, string Meaning)
{
    public static readonly ProblemType Validation = new("validation", StatusCodes.Status400BadRequest, "Invalid request", "a field, path segment or query value breaks the contract; `errors` names each field");
    public static readonly ProblemType Unauthenticated = new("unauthenticated", StatusCodes.Status401Unauthorized, "Unauthenticated", "no bearer secret, or one the server does not know");
    public static readonly ProblemType Forbidden = new("forbidden", StatusCodes.Status403Forbidden, "Forbidden", "the caller's role may not make this call, or a worker acts for another worker");
    public static readonly ProblemType WorkerBlocked = new("worker-blocked", StatusCodes.Status403Forbidden, "Worker blocked", "the worker is blocked");
    public static readonly ProblemType NotFound = new("not-found", StatusCodes.Status404NotFound, "Not found", "no such resource, or one the caller may not see");
    public static readonly ProblemType Conflict = new("conflict", StatusCodes.Status409Conflict, "Conflict", "the call clashes with what is stored");
    public static readonly ProblemType LeaseExpired = new("lease-expired", StatusCodes.Status409Conflict, "Lease expired", "the lease passed its `expiresAt`");
    public static readonly ProblemType LeaseNotActive = new("lease-not-active", StatusCodes.Status409Conflict, "Lease not active", "the lease was already submitted or released");
    public static readonly ProblemType ProjectNotOpen = new("project-not-open", StatusCodes.Status409Conflict, "Project not open", "the project named is paused or closed");
    public static readonly ProblemType NotReviewable = new("not-reviewable", StatusCodes.Status409Conflict, "Not reviewable", "the submission already has the other verdict, or the project's review mode does not take this verdict");
    public static readonly ProblemType InsufficientBalance = new("insufficient-balance", StatusCodes.Status409Conflict, "Insufficient balance", "a payout larger than the worker's balance");
    public static readonly ProblemType TooLarge = new("too-large", StatusCodes.Status413PayloadTooLarge, "Request too large", "the body or the number of tasks is over the limit");
    public static readonly ProblemType RateLimited = new("rate-limited", StatusCodes.Status429TooManyRequests, "Too many requests", "over the caller's rate limit; wait for `Retry-After`");
    public static readonly ProblemType Unavailable = new("unavailable", StatusCodes.Status503ServiceUnavailable, "Service unavailable", "storage or the cluster did not answer; nothing was acknowledged; retry after `Retry-After`");
}
