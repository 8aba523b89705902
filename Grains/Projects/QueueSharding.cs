namespace Dispatch.Grains.Projects;

/// <summary>Spreads a project's tasks over its queue shards by a hash that is the same in every process.</summary>
public static class QueueSharding
{
    public static int ShardOf(string taskId, int shardCount)
    {
        // FNV-1a: string.GetHashCode is randomised per process, and every silo must agree.
        var hash = 2166136261u;
        foreach (var c in taskId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)shardCount);
    }
}
