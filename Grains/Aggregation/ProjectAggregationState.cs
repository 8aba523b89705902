namespace Dispatch.Grains.Aggregation;

/// <summary>A project's Dawid-Skene runs: small and fixed in size, the estimates themselves are in <see cref="ITaskEstimateStore"/>.</summary>
[GenerateSerializer, Alias("Dispatch.ProjectAggregationState")]
public sealed class ProjectAggregationState
{
    /// <summary>True from the start of a run until it ends; still true after a restart that interrupted it.</summary>
    [Id(0)] public bool Running { get; set; }
    [Id(1)] public DateTimeOffset? StartedAt { get; set; }
    /// <summary>Tasks the last finished run covered.</summary>
    [Id(2)] public int Tasks { get; set; }
    [Id(3)] public DateTimeOffset? FinishedAt { get; set; }
}
