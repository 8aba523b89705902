using Dispatch.Tasks;

namespace Dispatch.Grains.Tasks;

/// <summary>The order in which a shard offers its tasks: higher priority first, then the oldest.</summary>
public sealed class ClaimOrder : IComparer<QueuedTask>
{
    public static readonly ClaimOrder Instance = new();

    public int Compare(QueuedTask? x, QueuedTask? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var byPriority = y.Priority.CompareTo(x.Priority);
        if (byPriority != 0)
        {
            return byPriority;
        }

        var bySequence = x.Sequence.CompareTo(y.Sequence);
        return bySequence != 0 ? bySequence : string.CompareOrdinal(x.TaskId, y.TaskId);
    }
}
