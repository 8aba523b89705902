using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Events;
using Dispatch.Grains.Aggregation;
using Dispatch.Grains.Events;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Webhooks;
using Dispatch.Grains.Workers;
using Dispatch.Projects;
using Dispatch.Requesters;
using Dispatch.Tasks;
using Dispatch.Work;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.Projects;

public sealed partial class ProjectGrain(
    [PersistentState("project", StorageNames.Grains)] IPersistentState<ProjectState> state,
    ITaskStore taskStore,
    ProjectDirectory directory,
    RoutingTable routing,
    EventPublisher events,
    IWebhookOutbox webhookOutbox,
    WebhookAddresses webhookAddresses,
    TaskAggregates aggregates,
    DispatchMetrics metrics,
    IOptions<DispatchOptions> options,
    TimeProvider time,
    ILogger<ProjectGrain> logger) : Grain, IProjectGrain
{
    private string ProjectId => this.GetPrimaryKeyString();

    private AggregationRule? Aggregation => state.State.Settings?.Aggregation;

    public async Task<Result<ProjectView>> CreateAsync(string? ownerRequesterId, ProjectSettings settings)
    {
        if (ProjectRules.Check(settings) is { Count: > 0 } errors)
        {
            return FieldError.Refuse<ProjectView>(errors);
        }

        if (state.State.Exists)
        {
            return Result<ProjectView>.Fail(ErrorKind.Conflict, $"Project '{ProjectId}' already exists.");
        }

        // Indexes first: they are idempotent, and listings and routing skip ids whose project does not exist.
        await Catalog.UpsertAsync(Route(settings, ProjectStatus.Open, options.Value.QueueShards));
        if (ownerRequesterId is not null)
        {
            await GrainFactory.GetReference<IRequesterGrain>(ownerRequesterId).AddProjectAsync(ProjectId);
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
        await state.WriteOrDeactivateAsync(this, logger);
        LogCreated(logger, ProjectId, ownerRequesterId, state.State.QueueShards);

        // This silo routes to the new project from its next claim, as it does after any other change of a project.
        routing.Forget();
        return Result<ProjectView>.Ok(View(ProjectCounts.Zero));
    }

    public async Task<ProjectView?> GetAsync() => state.State.Exists ? View(await CountAsync()) : null;

    public Task<ProjectInfo?> GetInfoAsync() => Task.FromResult(state.State.Exists ? Info() : null);

    public async Task<Result<ProjectView>> UpdateAsync(ProjectPatch patch)
    {
        if (!state.State.Exists)
        {
            return NotFound<ProjectView>();
        }

        if (ProjectRules.Check(patch) is { Count: > 0 } errors)
        {
            return FieldError.Refuse<ProjectView>(errors);
        }

        if (patch.Status is { } status && status != state.State.Status && state.State.Status == ProjectStatus.Closed)
        {
            return Result<ProjectView>.Fail(ErrorKind.Conflict, "A closed project cannot be opened or paused again.");
        }

        var settings = state.State.Settings!;
        var opens = patch.Status == ProjectStatus.Open && state.State.Status != ProjectStatus.Open;
        state.State.Status = patch.Status ?? state.State.Status;
        state.State.Settings = settings with
        {
            Priority = patch.Priority ?? settings.Priority,
            Reward = patch.Reward ?? settings.Reward,
            LeaseSeconds = patch.LeaseSeconds ?? settings.LeaseSeconds,
            MaxAttempts = patch.MaxAttempts ?? settings.MaxAttempts,
            Review = patch.Review ?? settings.Review,
        };
        await state.WriteOrDeactivateAsync(this, logger);
        LogUpdated(logger, ProjectId, state.State.Status, state.State.Settings.Priority, state.State.Settings.LeaseSeconds, state.State.Settings.MaxAttempts);
        directory.Forget(ProjectId);
        await Catalog.UpsertAsync(Route(state.State.Settings, state.State.Status, state.State.QueueShards));
        routing.Forget();
        if (opens)
        {
            events.SignalWork(ProjectId, WorkSignal.AllSlots);
        }

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

        var withoutGolden = Enumerable.Range(0, tasks.Length).FirstOrDefault(i => tasks[i].GoldenAnswerJson is null, -1);
        if (state.State.Settings!.Exam is not null && withoutGolden >= 0)
        {
            return Result<ImportSummary>.Fail(ErrorKind.Validation, $"tasks[{withoutGolden}].goldenAnswer: Every task of an exam project needs a goldenAnswer.");
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

        // The deliveries of task.created are stored with the tasks, of the very event the stream shows.
        var now = time.GetUtcNow();
        var project = Info();
        var outcome = await taskStore.ImportAsync(
            ProjectId, [.. distinct.Values], now, project.HasWebhooks ? count => WebhookEvents.EntriesOf(project, [TaskCreated(count, now)]) : null);
        if (outcome.ConflictingTaskId is { } conflicting)
        {
            LogImportRefused(logger, ProjectId, conflicting);
            return Result<ImportSummary>.Fail(ErrorKind.Conflict, $"Task '{conflicting}' already exists with another payload; nothing was stored.");
        }

        // Existing open tasks are offered again too: a retried import then repairs a shard that a failed call
        // never told. A shard ignores what it already knows, so a fresh task's snapshot is all it needs.
        var overlap = project.Overlap;
        var freeSlots = overlap ?? int.MaxValue;
        var open = outcome.Tasks.Where(t => t.State == TaskState.Open).ToList();
        await Task.WhenAll(open
            .GroupBy(t => t.Shard)
            .Select(shard => QueueShard(shard.Key).ImportedAsync([.. shard.Select(t => new TaskSnapshot(t.TaskId, t.Created ? 1 : 0, TaskState.Open, t.Priority, t.Sequence, 0, 0, freeSlots, [], null))])));

        var created = outcome.Tasks.Count(t => t.Created);
        metrics.TasksImported.Add(created);
        LogImported(logger, ProjectId, created, tasks.Length - created);
        if (created > 0)
        {
            events.Publish(TaskCreated(created, now));
        }

        events.SignalWork(ProjectId, (int)Math.Min((long)open.Count * freeSlots, WorkSignal.AllSlots));
        return Result<ImportSummary>.Ok(new ImportSummary(created, tasks.Length - created, ids.ToImmutable()));
    }

    public async Task<ListPage<TaskView>> ListTasksAsync(TaskState? state, string? afterTaskId, int limit)
    {
        var page = await taskStore.ListAsync(ProjectId, state, afterTaskId, limit, options.Value.MaxPageBytes);
        return new(await aggregates.ViewsAsync(ProjectId, Aggregation, page.Items), page.More);
    }

    public async Task<ListPage<ProjectSubmission>> ListSubmissionsAsync(SubmissionState state, SubmissionCursor? after, int limit) =>
        (await taskStore.ListSubmissionsAsync(ProjectId, state, after, limit, options.Value.MaxPageBytes))
            .Select(s => new ProjectSubmission(s.TaskId, s.Submission.ToView(), new SubmissionCursor(s.Submission.SubmittedAt, s.TaskId, s.Submission.WorkerId)));

    public async Task<ListPage<CompletedTask>> ListResultsAsync(CompletionCursor? after, int limit)
    {
        var page = await taskStore.ListCompletedAsync(ProjectId, after, limit, options.Value.MaxPageBytes);
        return new(await aggregates.ResultsAsync(ProjectId, Aggregation, page.Items), page.More);
    }

    public Task<CompletionCursor?> FindOldResultsCursorAsync(long completionNumber) => taskStore.FindCompletionAsync(ProjectId, completionNumber);

    private async Task<ProjectCounts> CountAsync()
    {
        var counts = await Task.WhenAll(Enumerable.Range(0, state.State.QueueShards).Select(shard => QueueShard(shard).GetCountsAsync()));
        return counts.Aggregate(ProjectCounts.Zero, (sum, shard) => sum.Add(shard));
    }

    private IProjectCatalogGrain Catalog => GrainFactory.GetGrain<IProjectCatalogGrain>(0);

    private ProjectRoute Route(ProjectSettings settings, ProjectStatus status, int queueShards) =>
        new(ProjectId, settings.Requirements, settings.Priority, settings.Reward, status, queueShards,
            CrowdReview: settings.Review is { Mode: ReviewMode.Crowd },
            ReviewRequirements: settings.Review is { Mode: ReviewMode.Crowd } review ? Requirements.ForReview(review, settings) : []);

    private ProjectInfo Info() => new(
        ProjectId, state.State.OwnerRequesterId, state.State.Settings!, state.State.Status, state.State.QueueShards,
        [.. state.State.Webhooks.Select(w => w.Subscription())]);

    private ITaskQueueGrain QueueShard(int shard) => GrainFactory.GetReference<ITaskQueueGrain>(Keys.QueueShard(ProjectId, shard));

    private DispatchEvent TaskCreated(int count, DateTimeOffset at) =>
        new(EventTypes.TaskCreated, ProjectId, null, null, null, at, $$"""{"count":{{count}}}""");

    private Result<T> NotFound<T>() => Result<T>.Fail(ErrorKind.NotFound, $"Project '{ProjectId}' does not exist.");

    private ProjectView View(ProjectCounts counts) =>
        new(ProjectId, state.State.OwnerRequesterId, state.State.Settings!, state.State.Status, counts, state.State.CreatedAt);
}
