namespace Dispatch.Common;

/// <summary>
/// Compound grain keys. Caller-chosen ids never contain '/', so the first '/' separates the parts.
/// </summary>
public static class Keys
{
    public static string Task(string projectId, string taskId) => $"{projectId}/{taskId}";

    public static string QueueShard(string projectId, int shard) => $"{projectId}/{shard}";

    public static (string ProjectId, string Local) Split(string key)
    {
        var slash = key.IndexOf('/');
        return (key[..slash], key[(slash + 1)..]);
    }
}
