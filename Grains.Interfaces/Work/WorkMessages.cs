using System.Collections.Immutable;
using Dispatch.Tasks;

namespace Dispatch.Work;

/// <summary>A lease handed to a worker: what it needs to do the task, and until when it may.</summary>
/// <param name="ReviewResultJson">For a review lease (crowd review), the result under review; null for a task lease.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.LeaseGrant")]
public sealed record LeaseGrant(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] string ProjectId,
    [property: Id(2)] string TaskId,
    [property: Id(3)] string PayloadJson,
    [property: Id(4)] string? Instructions,
    [property: Id(5)] string? LabelConfig,
    [property: Id(6)] DateTimeOffset ExpiresAt,
    [property: Id(7)] string? ReviewResultJson = null)
{
    public bool IsReview => ReviewResultJson is not null;
}

/// <param name="Correct">Whether the result matched the golden answer; null for a task without one.</param>
/// <param name="Reward">What the worker was credited for this submission (for a review: the review reward).</param>
/// <param name="Review">True when the lease was a review lease: the receipt is of a verdict, not of a submission.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.SubmitReceipt")]
public sealed record SubmitReceipt(
    [property: Id(0)] string TaskId,
    [property: Id(1)] TaskState TaskState,
    [property: Id(2)] bool? Correct,
    [property: Id(3)] decimal Reward,
    [property: Id(4)] string ProjectId,
    [property: Id(5)] SubmissionState SubmissionState = SubmissionState.Accepted,
    [property: Id(6)] bool Review = false);

[GenerateSerializer, Immutable, Alias("Dispatch.HeartbeatReceipt")]
public sealed record HeartbeatReceipt(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>
/// What a queue shard needs to know of one task, as of <see cref="Version"/> (the stored version, so a stale
/// snapshot arriving late never overwrites a newer one).
/// </summary>
/// <param name="Submissions">Every submission ever stored, whatever its review state (the project's count).</param>
/// <param name="PendingSince">When the oldest submission still pending review was stored; null when none is.</param>
/// <param name="Workers">Who ever held a task lease on it (each may hold one, ever; a reviewer is never one of them).</param>
/// <param name="ReviewItems">Pending submissions no review lease holds: what crowd review may serve.</param>
/// <param name="Reviewers">Who ever held a review lease on it (none of them may lease the task itself).</param>
/// <param name="JoinedSince">
/// Set when <see cref="Workers"/> and <see cref="Reviewers"/> name only who joined after this version (the one the
/// shard last heard of): a task every worker of an exam leases would otherwise send them all on every change. A shard
/// holding an older version has missed someone and reads the task from storage.
/// </param>
[GenerateSerializer, Immutable, Alias("Dispatch.TaskSnapshot")]
public sealed record TaskSnapshot(
    [property: Id(0)] string TaskId,
    [property: Id(1)] long Version,
    [property: Id(2)] TaskState State,
    [property: Id(3)] int Priority,
    [property: Id(4)] long Sequence,
    [property: Id(5)] int ActiveLeases,
    [property: Id(6)] int Submissions,
    [property: Id(7)] int FreeSlots,
    [property: Id(8)] ImmutableArray<string> Workers,
    [property: Id(9)] DateTimeOffset? NextExpiry,
    [property: Id(10)] DateTimeOffset? PendingSince = null,
    [property: Id(11)] int ReviewItems = 0,
    [property: Id(12)] ImmutableArray<string> Reviewers = default,
    [property: Id(13)] long? JoinedSince = null);

/// <summary>
/// A task that was never leased, as its queue shard read it from storage with a page of others: enough for the task
/// grain to start from without reading storage itself. Only valid at <see cref="Version"/>: a task whose stored
/// version differs (news of a change was lost) finds out on its versioned write and reads storage then.
/// </summary>
[GenerateSerializer, Immutable, Alias("Dispatch.TaskSeed")]
public sealed record TaskSeed(
    [property: Id(0)] long Version,
    [property: Id(1)] int Shard,
    [property: Id(2)] int Priority,
    [property: Id(3)] long Sequence,
    [property: Id(4)] string PayloadJson,
    [property: Id(5)] string? GoldenAnswerJson);

/// <summary>Why a task did not lease to a worker. Stored nowhere; values may be added.</summary>
public enum LeaseRefusal
{
    None = 0,
    NotOpen = 1,
    NoFreeSlot = 2,
    WorkerHadTask = 3,
    NotFound = 4,

    /// <summary>The project is paused or closed: none of its tasks leases.</summary>
    ProjectNotOpen = 5,
}

/// <summary>The answer of a task to a lease request, with its snapshot for the shard either way.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.LeaseAttempt")]
public sealed record LeaseAttempt(
    [property: Id(0)] LeaseGrant? Grant,
    [property: Id(1)] LeaseRefusal Refusal,
    [property: Id(2)] TaskSnapshot? Snapshot);
