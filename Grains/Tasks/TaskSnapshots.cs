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
        var submitted = 0;
        DateTimeOffset? nextExpiry = null;
        foreach (var lease in task.Leases)
        {
            if (lease.State == LeaseState.Active)
            {
                active++;
                nextExpiry = nextExpiry is null || lease.ExpiresAt < nextExpiry ? lease.ExpiresAt : nextExpiry;
            }
            else if (lease.State == LeaseState.Submitted)
            {
                submitted++;
            }
        }

        var freeSlots = FreeSlots(task.State, overlap, active, submitted);
        return new TaskSnapshot(task.TaskId, task.Version, task.State, task.Priority, task.Sequence, active, task.Submissions.Length, freeSlots, [.. task.Leases.Select(l => l.WorkerId)], nextExpiry);
    }

    /// <summary>Slots still free for new workers: none unless open; unlimited without an overlap (exams).</summary>
    public static int FreeSlots(TaskState state, int? overlap, int activeLeases, int submittedLeases) =>
        state != TaskState.Open ? 0 : overlap is { } slots ? Math.Max(0, slots - activeLeases - submittedLeases) : int.MaxValue;
}
