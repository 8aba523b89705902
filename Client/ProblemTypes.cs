namespace Dispatch.Client;

/// <summary>The problem <c>type</c>s of the Dispatch API, fixed by its contract.</summary>
public static class ProblemTypes
{
    public const string Validation = "validation";
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not-found";
    public const string Conflict = "conflict";
    public const string LeaseExpired = "lease-expired";
    public const string LeaseNotActive = "lease-not-active";
    public const string WorkerBlocked = "worker-blocked";
    public const string ProjectNotOpen = "project-not-open";
    public const string NotReviewable = "not-reviewable";
    public const string InsufficientBalance = "insufficient-balance";
    public const string TooLarge = "too-large";
    public const string RateLimited = "rate-limited";
    public const string Unavailable = "unavailable";
}
