using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace Dispatch.Grains.Aggregation;

/// <summary>Memory mode: each project's estimates as one map, swapped whole by a run.</summary>
public sealed class MemoryTaskEstimateStore : ITaskEstimateStore
{
    private readonly ConcurrentDictionary<string, FrozenDictionary<string, TaskEstimate>> _projects = new(StringComparer.Ordinal);

    public Task ReplaceAsync(string projectId, IReadOnlyList<TaskEstimate> estimates, CancellationToken cancellationToken = default)
    {
        _projects[projectId] = estimates.ToFrozenDictionary(e => e.TaskId, StringComparer.Ordinal);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, TaskEstimate>> GetAsync(string projectId, IReadOnlyCollection<string> taskIds, CancellationToken cancellationToken = default)
    {
        IReadOnlyDictionary<string, TaskEstimate> found = _projects.TryGetValue(projectId, out var estimates)
            ? taskIds.Distinct(StringComparer.Ordinal).Where(estimates.ContainsKey).ToDictionary(id => id, id => estimates[id], StringComparer.Ordinal)
            : new Dictionary<string, TaskEstimate>();
        return Task.FromResult(found);
    }
}
