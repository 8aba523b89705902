using System.Collections.Immutable;
using Dispatch.Grains.Storage;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

public static class TaskSnapshots
{
    /// <param name="overlap">Slots per task; null when unlimited (exam projects).</param>
    /// <param name="dynamic">Dynamic overlap: a task past its overlap without agreement has one more slot.</param>
    /// <param name="joined">
    /// Who joined the task since the version its shard last heard of: the snapshot then names only them. Null: the
    /// snapshot names everyone (O(workers), for a shard that may know nothing of the task).
    /// </param>
    public static TaskSnapshot Of(TaskRecord task, int? overlap, bool dynamic = false, JoinedSince? joined = null)
    {
        var active = 0;
        var activeReviews = 0;
        DateTimeOffset? nextExpiry = null;
        foreach (var lease in task.Leases.Active)
        {
            active++;
            activeReviews += lease.IsReview ? 1 : 0;
            nextExpiry = nextExpiry is null || lease.ExpiresAt < nextExpiry ? lease.ExpiresAt : nextExpiry;
        }

        var submissions = task.Submissions;
        DateTimeOffset? pendingSince = null;
        foreach (var pending in submissions.Pending)
        {
            pendingSince = pendingSince is null || pending.SubmittedAt < pendingSince ? pending.SubmittedAt : pendingSince;
        }
        var freeSlots = FreeSlots(task.State, Slots(overlap, dynamic, submissions.Accepted), active - activeReviews, submissions.HoldingSlots);
        return new TaskSnapshot(
            task.TaskId, task.Version, task.State, task.Priority, task.Sequence, active, submissions.Count, freeSlots,
            joined?.Workers ?? [.. task.Leases.TaskWorkers], nextExpiry, pendingSince,
            ReviewItems(task.State, submissions.PendingCount, activeReviews), joined?.Reviewers ?? [.. task.Leases.Reviewers],
            joined?.Version);
    }

    /// <summary>
    /// Pending submissions no review lease holds (each active review lease holds one). A completed task has none; a
    /// dead-lettered one keeps its pending submissions reviewable.
    /// </summary>
    public static int ReviewItems(TaskState state, int pendingSubmissions, int activeReviewLeases) =>
        state == TaskState.Completed ? 0 : Math.Max(0, pendingSubmissions - activeReviewLeases);

    /// <summary>
    /// Slots still free for new workers: none unless open; unlimited without an overlap (exams). A submission holds its
    /// slot while pending or accepted; a rejected one gave it back.
    /// </summary>
    public static int FreeSlots(TaskState state, int? slots, int activeLeases, int heldSubmissions) =>
        state != TaskState.Open ? 0 : slots is { } limit ? Math.Max(0, limit - activeLeases - heldSubmissions) : int.MaxValue;

    /// <summary>
    /// A task's slots: its overlap, or with dynamic overlap one more than its accepted answers once they reached the
    /// overlap (an open task there has not agreed yet, else it would have completed). Null: unlimited (exams).
    /// </summary>
    public static int? Slots(int? overlap, bool dynamic, int acceptedSubmissions) =>
        overlap is { } slots && dynamic ? Math.Max(slots, acceptedSubmissions + 1) : overlap;
}

/// <summary>Who held a first lease of a task, of each kind, after <see cref="Version"/>.</summary>
public sealed record JoinedSince(long Version, ImmutableArray<string> Workers, ImmutableArray<string> Reviewers);
