using Dispatch.Common;
using Orleans.Concurrency;

namespace Dispatch.Projects;

/// <summary>
/// A project's Dawid-Skene runs: one at a time, in the background, with the state of the last one kept durably. It is
/// never on the claim or submit path: task views read the estimates a run stored, not this grain.
/// </summary>
[Alias("Dispatch.IProjectAggregationGrain")]
public interface IProjectAggregationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts a run, or answers the one under way. <see cref="ErrorKind.NotFound"/> for a missing project,
    /// <see cref="ErrorKind.Conflict"/> for one that does not aggregate by Dawid-Skene.
    /// </summary>
    [Alias("Run")]
    Task<Result<AggregationStatus>> RunAsync();

    /// <summary>The state of the runs; null when the project does not exist.</summary>
    [Alias("GetStatus"), AlwaysInterleave]
    Task<AggregationStatus?> GetStatusAsync();
}

/// <summary>Where a project's Dawid-Skene runs are. Stored; values never change.</summary>
public enum AggregationRunState
{
    Idle = 0,
    Running = 1,
    Done = 2,
}

/// <param name="Method">The project's aggregation method; null when it has none.</param>
/// <param name="Tasks">How many tasks the last finished run covered (0 before the first).</param>
/// <param name="FinishedAt">When the last run finished; null before the first.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.AggregationStatus")]
public sealed record AggregationStatus(
    [property: Id(0)] AggregationMethod? Method,
    [property: Id(1)] AggregationRunState State,
    [property: Id(2)] int Tasks,
    [property: Id(3)] DateTimeOffset? FinishedAt);
