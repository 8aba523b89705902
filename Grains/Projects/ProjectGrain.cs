using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Requesters;
using Dispatch.Tasks;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.Projects;

public sealed class ProjectGrain(
    [PersistentState("project", StorageNames.Grains)] IPersistentState<ProjectState> state,
    ITaskStore taskStore,
    IOptions<DispatchOptions> options,
    TimeProvider time) : Grain, IProjectGrain
{
    private string ProjectId => this.GetPrimaryKeyString();

    public async Task<Result<ProjectView>> CreateAsync(string? ownerRequesterId, ProjectSettings settings)
    {
        if (state.State.Exists)
        {
            return Result<ProjectView>.Fail(ErrorKind.Conflict, $"Project '{ProjectId}' already exists.");
        }

        // Indexes first: they are idempotent, and listings skip ids whose project does not exist.
        await GrainFactory.GetGrain<IProjectCatalogGrain>(0).AddAsync(ProjectId);
        if (ownerRequesterId is not null)
        {
            await GrainFactory.GetGrain<IRequesterGrain>(ownerRequesterId).AddProjectAsync(ProjectId);
        }

        state.State = new ProjectState
        {
            Exists = true,
            OwnerRequesterId = ownerRequesterId,
            Settings = settings,
            Status = ProjectStatus.Open,
            CreatedAt = time.GetUtcNow(),
            QueueShards = options.Value.QueueShards,
        };
        await state.WriteOrDeactivateAsync(this);
        return Result<ProjectView>.Ok(View(ProjectCounts.Zero));
    }

    public async Task<ProjectView?> GetAsync() => state.State.Exists ? View(await CountAsync()) : null;

    public Task<ProjectOwner?> GetOwnerAsync() =>
        Task.FromResult(state.State.Exists ? new ProjectOwner(state.State.OwnerRequesterId) : null);

    public async Task<Result<ProjectView>> UpdateAsync(ProjectPatch patch)
    {
        if (!state.State.Exists)
        {
            return NotFound<ProjectView>();
        }

        if (patch.Status is { } status && status != state.State.Status && state.State.Status == ProjectStatus.Closed)
        {
            return Result<ProjectView>.Fail(ErrorKind.Conflict, "A closed project cannot be opened or paused again.");
        }

        var settings = state.State.Settings!;
        state.State.Status = patch.Status ?? state.State.Status;
        state.State.Settings = settings with
        {
            Priority = patch.Priority ?? settings.Priority,
            Reward = patch.Reward ?? settings.Reward,
            LeaseSeconds = patch.LeaseSeconds ?? settings.LeaseSeconds,
            MaxAttempts = patch.MaxAttempts ?? settings.MaxAttempts,
        };
        await state.WriteOrDeactivateAsync(this);
        return Result<ProjectView>.Ok(View(await CountAsync()));
    }

    public async Task<Result<ImportSummary>> ImportAsync(ImmutableArray<NewTask> tasks)
    {
        if (!state.State.Exists)
        {
            return NotFound<ImportSummary>();
        }

        if (state.State.Status == ProjectStatus.Closed)
        {
            return Result<ImportSummary>.Fail(ErrorKind.ProjectNotOpen, $"Project '{ProjectId}' is closed.");
        }

        if (state.State.Settings!.Exam is not null && tasks.Any(t => t.GoldenAnswerJson is null))
        {
            return Result<ImportSummary>.Fail(ErrorKind.Validation, "Every task of an exam project needs a goldenAnswer.");
        }

        var ids = ImmutableArray.CreateBuilder<string>(tasks.Length);
        var distinct = new Dictionary<string, TaskToStore>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            var id = task.Id ?? Guid.NewGuid().ToString("N").ToUpperInvariant();
            ids.Add(id);
            if (distinct.TryGetValue(id, out var earlier))
            {
                if (!JsonValues.Equivalent(earlier.PayloadJson, task.PayloadJson))
                {
                    return Result<ImportSummary>.Fail(ErrorKind.Conflict, $"Task '{id}' appears twice in the call with different payloads.");
                }

                continue;
            }

            distinct.Add(id, new TaskToStore(id, QueueSharding.ShardOf(id, state.State.QueueShards), task.PayloadJson, task.Priority, task.GoldenAnswerJson));
        }

        var outcome = await taskStore.ImportAsync(ProjectId, [.. distinct.Values], time.GetUtcNow());
        if (outcome.ConflictingTaskId is { } conflicting)
        {
            return Result<ImportSummary>.Fail(ErrorKind.Conflict, $"Task '{conflicting}' already exists with another payload; nothing was stored.");
        }

        // Existing open tasks are offered again too: a retried import then repairs a shard that a failed call never told.
        await Task.WhenAll(outcome.Tasks
            .Where(t => t.State == TaskState.Open)
            .GroupBy(t => t.Shard)
            .Select(shard => QueueShard(shard.Key).EnqueueAsync([.. shard.Select(t => new QueuedTask(t.TaskId, t.Priority, t.Sequence))])));

        var created = outcome.Tasks.Count(t => t.Created);
        return Result<ImportSummary>.Ok(new ImportSummary(created, tasks.Length - created, ids.ToImmutable()));
    }

    private async Task<ProjectCounts> CountAsync()
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, state.State.QueueShards).Select(shard => QueueShard(shard).GetCountsAsync()));
        return counts.Aggregate(ProjectCounts.Zero, (sum, shard) => sum.Add(shard));
    }

    private ITaskQueueGrain QueueShard(int shard) => GrainFactory.GetGrain<ITaskQueueGrain>(Keys.QueueShard(ProjectId, shard));

    private Result<T> NotFound<T>() => Result<T>.Fail(ErrorKind.NotFound, $"Project '{ProjectId}' does not exist.");

    private ProjectView View(ProjectCounts counts) =>
        new(ProjectId, state.State.OwnerRequesterId, state.State.Settings!, state.State.Status, counts, state.State.CreatedAt);
}
