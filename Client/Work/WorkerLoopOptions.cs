namespace Dispatch.Client;

/// <summary>How a <see cref="DispatchWorkerLoop"/> claims, keeps and gives back work.</summary>
public sealed class WorkerLoopOptions
{
    /// <summary>The worker the loop works as; the client's secret is its token (or the admin key). Required.</summary>
    public string WorkerId { get; set; } = "";

    /// <summary>Claim only this project's tasks. Default: null, any project the worker may serve, by skill tier.</summary>
    public string? ProjectId { get; set; }

    /// <summary>How long one claim waits for work to appear (long polling), 0..20. Default: 20.</summary>
    public int WaitSeconds { get; set; } = 20;

    /// <summary>How often a lease in hand is heartbeated. Default: null, a third of the time the lease has left (at least 1 s).</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>What each heartbeat extends the lease by, in seconds. Default: null, the project's lease time.</summary>
    public int? ExtendSeconds { get; set; }

    /// <summary>Wait after a failed call, doubled for each failure in a row. Default: 1 s.</summary>
    public TimeSpan FailureDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait after failures in a row. Default: 15 s.</summary>
    public TimeSpan MaxFailureDelay { get; set; } = TimeSpan.FromSeconds(15);

    internal void Check()
    {
        if (string.IsNullOrEmpty(WorkerId))
        {
            throw new ArgumentException("WorkerLoopOptions.WorkerId is required.", nameof(WorkerId));
        }

        if (WaitSeconds is < 0 or > 20)
        {
            throw new ArgumentOutOfRangeException(nameof(WaitSeconds), WaitSeconds, "WorkerLoopOptions.WaitSeconds must be 0..20.");
        }

        if (FailureDelay <= TimeSpan.Zero || MaxFailureDelay < FailureDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(FailureDelay), FailureDelay, "WorkerLoopOptions.FailureDelay must be more than zero and at most MaxFailureDelay.");
        }
    }
}
