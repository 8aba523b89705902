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

        var freeSlots = task.State != TaskState.Open ? 0 : overlap is { } o ? Math.Max(0, o - active - submitted) : int.MaxValue;
        return new TaskSnapshot(task.TaskId, task.Version, task.State, task.Priority, task.Sequence, active, task.Submissions.Length, freeSlots, [.. task.Leases.Select(l => l.WorkerId)], nextExpiry);
    }
}
