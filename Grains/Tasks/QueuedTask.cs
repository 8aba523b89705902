using System.Collections.Immutable;
using Dispatch.Tasks;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// One task as its queue shard knows it, as of <see cref="Version"/>: what a claim and a seed read of it. The shard
/// keeps its tasks in a more compact form and makes one of these when asked.
/// </summary>
/// <param name="Workers">Every worker that ever held a lease on the task; empty for a task no worker touched.</param>
public readonly record struct QueuedTask(
    string TaskId,
    long Version,
    TaskState State,
    int Priority,
    long Sequence,
    int Submissions,
    WorkerSet Workers);
