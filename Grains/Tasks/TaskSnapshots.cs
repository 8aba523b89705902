using Dispatch.Grains.Storage;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

public static class TaskSnapshots
{
    /// <param name="overlap">Slots per task; null when unlimited (exam projects).</param>
    public static TaskSnapshot Of(TaskRecord task, int? overlap)
    {
        var active = 0;
        var activeReviews = 0;
        DateTimeOffset? nextExpiry = null;
        foreach (var lease in task.Leases)
        {
            if (lease.State == LeaseState.Active)
            {
                active++;
                activeReviews += lease.IsReview ? 1 : 0;
                nextExpiry = nextExpiry is null || lease.ExpiresAt < nextExpiry ? lease.ExpiresAt : nextExpiry;
            }
        }

        var held = 0;
        var pending = 0;
        DateTimeOffset? pendingSince = null;
        foreach (var submission in task.Submissions)
        {
            held += submission.HoldsSlot ? 1 : 0;
            if (submission.State == SubmissionState.Pending)
            {
                pending++;
                pendingSince = pendingSince is null || submission.SubmittedAt < pendingSince ? submission.SubmittedAt : pendingSince;
            }
        }

        var freeSlots = FreeSlots(task.State, overlap, active - activeReviews, held);
        return new TaskSnapshot(
            task.TaskId, task.Version, task.State, task.Priority, task.Sequence, active, task.Submissions.Length, freeSlots,
            [.. task.Leases.Where(l => !l.IsReview).Select(l => l.WorkerId)], nextExpiry, pendingSince,
            ReviewItems(task.State, pending, activeReviews), [.. task.Leases.Where(l => l.IsReview).Select(l => l.WorkerId)]);
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
    public static int FreeSlots(TaskState state, int? overlap, int activeLeases, int heldSubmissions) =>
        state != TaskState.Open ? 0 : overlap is { } slots ? Math.Max(0, slots - activeLeases - heldSubmissions) : int.MaxValue;
}
