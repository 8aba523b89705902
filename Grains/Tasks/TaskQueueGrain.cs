using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Tasks;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// Holds no grain state of its own: on activation it loads its open tasks from the task store, so the queue
/// survives a restart without ever rewriting a list that grows with the project.
/// </summary>
public sealed class TaskQueueGrain(ITaskStore taskStore) : Grain, ITaskQueueGrain
{
    private readonly SortedSet<QueuedTask> _ready = new(ClaimOrder.Instance);
    private readonly HashSet<string> _open = new(StringComparer.Ordinal);
    private ProjectCounts _counts = ProjectCounts.Zero;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (projectId, shard) = Keys.Split(this.GetPrimaryKeyString());
        var snapshot = await taskStore.LoadShardAsync(projectId, int.Parse(shard, System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        foreach (var task in snapshot.Open)
        {
            _open.Add(task.TaskId);
            _ready.Add(task);
        }

        _counts = snapshot.Counts;
    }

    public Task EnqueueAsync(ImmutableArray<QueuedTask> tasks)
    {
        foreach (var task in tasks)
        {
            if (_open.Add(task.TaskId))
            {
                _ready.Add(task);
                _counts = _counts with { Open = _counts.Open + 1 };
            }
        }

        return Task.CompletedTask;
    }

    public Task<ProjectCounts> GetCountsAsync() => Task.FromResult(_counts);
}
