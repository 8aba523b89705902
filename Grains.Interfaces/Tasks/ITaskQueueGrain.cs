using System.Collections.Immutable;
using Dispatch.Projects;
using Dispatch.Work;

namespace Dispatch.Tasks;

/// <summary>A shard's first task for some worker, to compare shards in claim order: higher priority, then older.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.QueueHead")]
public sealed record QueueHead([property: Id(0)] int Priority, [property: Id(1)] long Sequence) : IComparable<QueueHead>
{
    public int CompareTo(QueueHead? other) => other is null ? -1 : Compare(Priority, Sequence, other.Priority, other.Sequence);

    /// <summary>Claim order of two tasks: negative when the first is served first.</summary>
    public static int Compare(int priorityA, long sequenceA, int priorityB, long sequenceB) =>
        priorityA != priorityB ? priorityB.CompareTo(priorityA) : sequenceA.CompareTo(sequenceB);
}

/// <param name="Head">The worker's first task here; null when it may take none.</param>
/// <param name="HasFreeTask">Whether any task of the shard has a free slot, for anyone.</param>
/// <param name="Next">The shard's first task anyone may take now; null when every free slot is being claimed.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.ShardPeek")]
public sealed record ShardPeek([property: Id(0)] QueueHead? Head, [property: Id(1)] bool HasFreeTask, [property: Id(2)] QueueHead? Next);

/// <param name="Grant">The lease; null when the shard has no task this worker may take.</param>
/// <param name="Next">The shard's first task anyone may take after this claim; null when none.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.ShardClaim")]
public sealed record ShardClaim([property: Id(0)] LeaseGrant? Grant, [property: Id(1)] QueueHead? Next);

/// <summary>
/// One shard of a project's ready queue, keyed <c>{projectId}/{shard}</c>. A project's tasks are spread over
/// several shards by a hash of their id, so that claims of one project never funnel through one activation.
/// Each shard also counts its tasks, and the project view sums the shards.
/// </summary>
[Alias("Dispatch.ITaskQueueGrain")]
public interface ITaskQueueGrain : IGrainWithStringKey
{
    /// <summary>Where the first task this worker may take stands in claim order, and whether any task is free at all.</summary>
    [Alias("Peek")]
    Task<ShardPeek> PeekAsync(string workerId);

    /// <summary>Leases the first task in claim order that the worker may take, and tells where the shard stands after.</summary>
    [Alias("Claim")]
    Task<ShardClaim> ClaimAsync(string workerId);

    /// <summary>Takes in tasks just imported; tasks the shard already knows are ignored, so a retried import is harmless.</summary>
    /// <summary>
    /// Crowd review: leases to the worker the first review item in claim order it may review (one whose task it never
    /// labelled); null when this shard has none for it.
    /// </summary>
    [Alias("ClaimReview")]
    Task<LeaseGrant?> ClaimReviewAsync(string workerId);

    [Alias("Imported")]
    Task ImportedAsync(ImmutableArray<TaskSnapshot> tasks);

    /// <summary>
    /// Takes in what a task now looks like after a transition; older versions are ignored, and news of a task the
    /// shard does not know is checked against storage rather than believed.
    /// </summary>
    [Alias("Update")]
    Task UpdateAsync(ImmutableArray<TaskSnapshot> tasks);

    [Alias("GetCounts")]
    Task<ProjectCounts> GetCountsAsync();
}
