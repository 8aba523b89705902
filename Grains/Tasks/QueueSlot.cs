using System.Collections.Immutable;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// One task as a queue shard holds it: the fields of its last <see cref="TaskSnapshot"/> that the shard reads, in
/// 40 bytes. What happened to the task since its import waits in <see cref="History"/>, which an open task no worker
/// touched (most queued tasks) does without, so that its id is the only object it needs.
/// </summary>
internal struct QueueSlot
{
    /// <summary>Null while the slot is free.</summary>
    public string TaskId;
    public TaskHistory? History;
    public long Version;
    public long Sequence;
    public int Priority;
    public int FreeSlots;

    public readonly TaskState State => History?.State ?? TaskState.Open;

    /// <summary>Whether a worker may be offered the task: open with a free slot, whatever claims are in flight.</summary>
    public readonly bool IsReady => State == TaskState.Open && FreeSlots > 0;

    public readonly int ActiveLeases => History?.ActiveLeases ?? 0;

    public readonly int Submissions => History?.Submissions ?? 0;

    public readonly WorkerSet Workers => History?.Workers ?? WorkerSet.Empty;

    public readonly int ReviewItems => History?.ReviewItems ?? 0;

    /// <summary>Whether the worker ever held a lease of either kind on the task: it may lease the task no more.</summary>
    public readonly bool Touched(string workerId) => History is { } history && (history.Workers.Contains(workerId) || history.Reviewers.Contains(workerId));

    /// <summary>Takes in a newer snapshot; one that names only who joined since adds them to who the shard knew.</summary>
    public void CopyFrom(TaskSnapshot snapshot)
    {
        Version = snapshot.Version;
        Priority = snapshot.Priority;
        Sequence = snapshot.Sequence;
        FreeSlots = snapshot.FreeSlots;
        History = TaskHistory.Of(snapshot, snapshot.JoinedSince is null ? null : History);
    }

    public readonly QueuedTask Describe() => new(TaskId, Version, State, Priority, Sequence, Submissions, Workers);
}

/// <summary>What happened to a task since its import, as its last snapshot said.</summary>
/// <param name="PendingSince">When its oldest submission still pending review was stored: the shard accepts it on time.</param>
/// <param name="ReviewItems">Pending submissions no review lease holds (served to reviewers in crowd review).</param>
internal sealed record TaskHistory(
    TaskState State, int ActiveLeases, int Submissions, WorkerSet Workers, DateTimeOffset? NextExpiry, DateTimeOffset? PendingSince,
    int ReviewItems, WorkerSet Reviewers)
{
    /// <summary>
    /// The snapshot's history, with the workers of <paramref name="known"/> when the snapshot names only who joined
    /// since; null for an open task no worker has touched.
    /// </summary>
    public static TaskHistory? Of(TaskSnapshot task, TaskHistory? known = null)
    {
        var workers = (known?.Workers ?? WorkerSet.Empty).With(task.Workers.IsDefault ? [] : task.Workers.AsSpan());
        var reviewers = (known?.Reviewers ?? WorkerSet.Empty).With(task.Reviewers.IsDefault ? [] : task.Reviewers.AsSpan());
        return task.State == TaskState.Open && task.ActiveLeases == 0 && task.Submissions == 0 && workers.IsEmpty && task.NextExpiry is null
            && task.PendingSince is null && task.ReviewItems == 0 && reviewers.IsEmpty
            ? null
            : new(task.State, task.ActiveLeases, task.Submissions, workers, task.NextExpiry, task.PendingSince, task.ReviewItems, reviewers);
    }
}
