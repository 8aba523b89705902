using Dispatch.Grains.Storage;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

public static class TaskSnapshots
{
    /// <param name="overlap">Slots per task; null when unlimited (exam projects).</param>
    /// <param name="dynamic">Dynamic overlap: a task past its overlap without agreement has one more slot.</param>
    public static TaskSnapshot Of(TaskRecord task, int? overlap, bool dynamic = false)
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
        var accepted = 0;
        DateTimeOffset? pendingSince = null;
        foreach (var submission in task.Submissions)
        {
            held += submission.HoldsSlot ? 1 : 0;
            accepted += submission.State == SubmissionState.Accepted ? 1 : 0;
            if (submission.State == SubmissionState.Pending)
            {
                pending++;
                pendingSince = pendingSince is null || submission.SubmittedAt < pendingSince ? submission.SubmittedAt : pendingSince;
            }
        }

        var freeSlots = FreeSlots(task.State, Slots(overlap, dynamic, accepted), active - activeReviews, held);
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
    public static int FreeSlots(TaskState state, int? slots, int activeLeases, int heldSubmissions) =>
        state != TaskState.Open ? 0 : slots is { } limit ? Math.Max(0, limit - activeLeases - heldSubmissions) : int.MaxValue;

    /// <summary>
    /// A task's slots: its overlap, or with dynamic overlap one more than its accepted answers once they reached the
    /// overlap (an open task there has not agreed yet, else it would have completed). Null: unlimited (exams).
    /// </summary>
    public static int? Slots(int? overlap, bool dynamic, int acceptedSubmissions) =>
        overlap is { } slots && dynamic ? Math.Max(slots, acceptedSubmissions + 1) : overlap;
}
