using System.Collections.Immutable;
using Dispatch.Tasks;

namespace Dispatch.Grains.Tasks;

/// <summary>The kinds of command a task answers; <see cref="TaskLifecycle"/> names a rule for each in every state.</summary>
public enum TaskCommandKind
{
    Lease,
    Heartbeat,
    Submit,
    Release,
    ExpireDue,
    Retry,
    Review,
    AutoAccept,
    LeaseReview,
    CrowdVerdict,
}

/// <summary>What is asked of a task. The grain builds one, <see cref="TaskLifecycle.Decide"/> answers it.</summary>
public abstract record TaskCommand(TaskCommandKind Kind)
{
    public sealed record Lease(string WorkerId, string LeaseId, TimeSpan Duration) : TaskCommand(TaskCommandKind.Lease);

    public sealed record Heartbeat(string LeaseId, string WorkerId, TimeSpan Extension) : TaskCommand(TaskCommandKind.Heartbeat);

    /// <param name="Reviewed">Whether the project reviews submissions: the submission is then stored pending.</param>
    public sealed record Submit(string LeaseId, string WorkerId, string ResultJson, decimal Reward, ImmutableArray<string> Skills, bool Reviewed)
        : TaskCommand(TaskCommandKind.Submit);

    public sealed record Release(string LeaseId, string WorkerId) : TaskCommand(TaskCommandKind.Release);

    /// <summary>Expires the first active lease whose deadline has passed (the grain repeats it until nothing changes).</summary>
    public sealed record ExpireDue() : TaskCommand(TaskCommandKind.ExpireDue);

    public sealed record Retry() : TaskCommand(TaskCommandKind.Retry);

    public sealed record Review(string WorkerId, ReviewVerdict Verdict, ReviewerKind By, string? ReviewerId, string? Comment)
        : TaskCommand(TaskCommandKind.Review);

    /// <summary>Leases the oldest pending submission the worker may review (crowd review).</summary>
    public sealed record LeaseReview(string WorkerId, string LeaseId, TimeSpan Duration) : TaskCommand(TaskCommandKind.LeaseReview);

    /// <summary>A crowd reviewer's verdict, submitted through its review lease; <paramref name="Reward"/> is credited to it.</summary>
    public sealed record CrowdVerdict(string LeaseId, string WorkerId, ReviewVerdict Verdict, string? Comment, decimal Reward)
        : TaskCommand(TaskCommandKind.CrowdVerdict);

    /// <summary>Accepts the first submission pending for <paramref name="After"/> or longer (repeated like <see cref="ExpireDue"/>).</summary>
    public sealed record AutoAccept(TimeSpan After) : TaskCommand(TaskCommandKind.AutoAccept);
}

/// <summary>What every rule may need besides the task and the command: the time and the project's limits.</summary>
/// <param name="Overlap">Slots per task; null when unlimited (exam projects).</param>
public sealed record TaskContext(DateTimeOffset Now, int? Overlap, int MaxAttempts);
