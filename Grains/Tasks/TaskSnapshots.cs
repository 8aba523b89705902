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
        DateTimeOffset? nextExpiry = null;
        foreach (var lease in task.Leases)
        {
            if (lease.State == LeaseState.Active)
            {
                active++;
                nextExpiry = nextExpiry is null || lease.ExpiresAt < nextExpiry ? lease.ExpiresAt : nextExpiry;
            }
        }

        var held = 0;
        DateTimeOffset? pendingSince = null;
        foreach (var submission in task.Submissions)
        {
            held += submission.HoldsSlot ? 1 : 0;
            if (submission.State == SubmissionState.Pending && (pendingSince is null || submission.SubmittedAt < pendingSince))
            {
                pendingSince = submission.SubmittedAt;
            }
        }

        var freeSlots = FreeSlots(task.State, overlap, active, held);
        return new TaskSnapshot(task.TaskId, task.Version, task.State, task.Priority, task.Sequence, active, task.Submissions.Length, freeSlots, [.. task.Leases.Select(l => l.WorkerId)], nextExpiry, pendingSince);
    }

    /// <summary>
    /// Slots still free for new workers: none unless open; unlimited without an overlap (exams). A submission holds its
    /// slot while pending or accepted; a rejected one gave it back.
    /// </summary>
    public static int FreeSlots(TaskState state, int? overlap, int activeLeases, int heldSubmissions) =>
        state != TaskState.Open ? 0 : overlap is { } slots ? Math.Max(0, slots - activeLeases - heldSubmissions) : int.MaxValue;
}
