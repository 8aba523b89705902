using Dispatch.Common;
using Dispatch.Work;

namespace Dispatch.Tasks;

/// <summary>
/// One task of a project, keyed <c>{projectId}/{taskId}</c>: the authority on its leases and submissions.
/// Every change is written to the task store before it is answered.
/// </summary>
[Alias("Dispatch.ITaskGrain")]
public interface ITaskGrain : IGrainWithStringKey
{
    /// <summary>The task as stored, or null when no such task was imported.</summary>
    [Alias("Get")]
    Task<TaskView?> GetAsync();

    /// <summary>Leases the task to the worker if it is open, has a free slot, and never had this worker.</summary>
    /// <param name="seed">The task as its shard last read it, when it was never leased: an activation starts from it
    /// instead of reading storage. Ignored by an active task.</param>
    [Alias("Lease")]
    Task<LeaseAttempt> LeaseAsync(string workerId, TaskSeed? seed);

    /// <summary>Crowd review: leases the oldest pending submission the worker may review.</summary>
    [Alias("LeaseReview")]
    Task<LeaseAttempt> LeaseReviewAsync(string workerId);

    [Alias("Heartbeat")]
    Task<Result<HeartbeatReceipt>> HeartbeatAsync(string leaseId, string workerId, int? extendSeconds);

    [Alias("Submit")]
    Task<Result<SubmitReceipt>> SubmitAsync(string leaseId, string workerId, string resultJson);

    /// <summary>Ends an active lease early; it counts as a failed attempt.</summary>
    [Alias("Release")]
    Task<Result<bool>> ReleaseAsync(string leaseId, string workerId, string? reason);

    /// <summary>Opens a dead-lettered task again with its failed attempts reset.</summary>
    [Alias("Retry")]
    Task<Result<TaskView>> RetryAsync();

    /// <summary>
    /// Gives the verdict on the worker's submission. The same verdict again answers the submission unchanged; the
    /// other verdict on a decided submission is <see cref="ErrorKind.NotReviewable"/>.
    /// </summary>
    [Alias("Review")]
    Task<Result<SubmissionView>> ReviewAsync(string workerId, ReviewVerdict verdict, ReviewerKind by, string? comment);

    /// <summary>Accepts the submissions pending longer than the project's <c>autoAcceptSeconds</c>, and tells the shard.</summary>
    [Alias("AutoAccept")]
    Task AutoAcceptAsync();

    /// <summary>
    /// Activates the task so that leases overdue in storage expire (after a restart or a lost silo), and tells the
    /// task's shard what the task looks like now.
    /// </summary>
    [Alias("Poke")]
    Task PokeAsync();
}
