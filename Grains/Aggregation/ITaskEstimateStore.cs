namespace Dispatch.Grains.Aggregation;

/// <summary>
/// The estimates of a project's last Dawid-Skene run, one per task it covered. They are read beside task views and
/// the results export, so they live in a table (PostgreSQL) or an in-process map (memory mode), not in grain state.
/// </summary>
public interface ITaskEstimateStore
{
    /// <summary>Puts a run's estimates in place of the project's previous ones, all at once.</summary>
    Task ReplaceAsync(string projectId, IReadOnlyList<TaskEstimate> estimates, CancellationToken cancellationToken = default);

    /// <summary>The estimates of those of the tasks that the last run covered.</summary>
    Task<IReadOnlyDictionary<string, TaskEstimate>> GetAsync(string projectId, IReadOnlyCollection<string> taskIds, CancellationToken cancellationToken = default);
}
