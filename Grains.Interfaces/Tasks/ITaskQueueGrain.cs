using System.Collections.Immutable;
using Dispatch.Projects;

namespace Dispatch.Tasks;

/// <summary>A task that a queue shard may offer, in the order claims take them.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.QueuedTask")]
public sealed record QueuedTask(
    [property: Id(0)] string TaskId,
    [property: Id(1)] int Priority,
    [property: Id(2)] long Sequence);

/// <summary>
/// One shard of a project's ready queue, keyed <c>{projectId}/{shard}</c>. A project's tasks are spread over
/// several shards by a hash of their id, so that claims of one project never funnel through one activation.
/// Each shard also counts its tasks, and the project view sums the shards.
/// </summary>
[Alias("Dispatch.ITaskQueueGrain")]
public interface ITaskQueueGrain : IGrainWithStringKey
{
    /// <summary>Adds stored open tasks; tasks the shard already knows are ignored, so a retry is harmless.</summary>
    [Alias("Enqueue")]
    Task EnqueueAsync(ImmutableArray<QueuedTask> tasks);

    [Alias("GetCounts")]
    Task<ProjectCounts> GetCountsAsync();
}
