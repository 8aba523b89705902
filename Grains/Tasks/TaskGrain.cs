using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Aggregation;
using Dispatch.Events;
using Dispatch.Grains.Events;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Webhooks;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Dispatch.Workers;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// The authority on one task. Its record is loaded from the task store on activation and every transition is
/// stored (versioned) before it is answered; lease expiry runs on a grain timer for the earliest deadline, set
/// again on every activation, so it survives deactivation and restarts.
/// </summary>
[CollectionAgeLimit(Minutes = 2)]
public sealed partial class TaskGrain(ITaskStore taskStore, ProjectDirectory projects, TaskAggregates aggregates, EventPublisher events, DispatchMetrics metrics, TimeProvider time, ILogger<TaskGrain> logger) : Grain, ITaskGrain
{
    private string _projectId = "";
    private string _taskId = "";
    private TaskRecord? _task;
    private bool _loaded;

    // Set while the task is known only from its shard's copy: a version conflict then means that copy was old.
    private bool _fromSeed;
    private IGrainTimer? _expiryTimer;
    private IGrainTimer? _shardRetry;

    /// <summary>A stored change freed work that no work signal has announced yet.</summary>
    private bool _freedWork;

    // Set while the shard may not know what storage holds: after a load from storage (the news of the last change may
    // have died with a silo) and while telling it fails.
    private bool _shardMayNotKnow;

    // The version the shard last heard of, and who first leased the task since: news names only them, so that a change
    // of an exam task that every worker leases does not send every worker's id. Null: the shard may know nothing of who
    // touched the task (it was read from storage), and the next news names everyone.
    private long? _shardHeard;
    private readonly List<string> _joinedWorkers = [];
    private readonly List<string> _joinedReviewers = [];

    private static readonly TimeSpan ShardRetryPeriod = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ExpiryRetryDelay = TimeSpan.FromSeconds(1);

    // A lease write this slow may outlast the claim that asked for it; a healthy one takes milliseconds.
    private static readonly TimeSpan SlowLeaseWrite = TimeSpan.FromSeconds(1);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_projectId, _taskId) = Keys.Split(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<TaskView?> GetAsync()
    {
        await EnsureLoadedAsync();
        if (_task is not { State: TaskState.Completed } completed)
        {
            return _task?.ToView();
        }

        return await aggregates.ViewAsync(_projectId, (await projects.GetAsync(_projectId))?.Settings.Aggregation, completed);
    }

    public async Task<LeaseAttempt> LeaseAsync(string workerId, TaskSeed? seed)
    {
        await EnsureLoadedAsync(seed);
        LeaseAttempt attempt;
        try
        {
            attempt = await TryLeaseAsync(workerId);
        }
        catch (TaskVersionConflictException) when (_fromSeed)
        {
            // The shard's copy was older than storage (news of a change was lost): decide again on what is stored.
            await LoadAsync(null);
            attempt = await TryLeaseAsync(workerId);
        }

        // The answer tells the shard what the task is; should it be lost, the shard asks again.
        if (attempt.Snapshot is not null && _shardRetry is null)
        {
            _shardMayNotKnow = false;
        }

        return attempt;
    }

    private Task<LeaseAttempt> TryLeaseAsync(string workerId) =>
        TryLeaseAsync((leaseId, settings) => new TaskCommand.Lease(workerId, leaseId, TimeSpan.FromSeconds(settings.LeaseSeconds)));

    public async Task<LeaseAttempt> LeaseReviewAsync(string workerId)
    {
        await EnsureLoadedAsync();
        var project = await projects.GetAsync(_projectId);
        if (project?.Settings.Review is not { Mode: ReviewMode.Crowd })
        {
            // Review items are served in crowd review only; the shard's copy is still right about the task.
            return new LeaseAttempt(null, LeaseRefusal.NoFreeSlot, _task is null || project is null ? null : NewsForShard(project));
        }

        return await TryLeaseAsync((leaseId, settings) => new TaskCommand.LeaseReview(workerId, leaseId, TimeSpan.FromSeconds(settings.LeaseSeconds)));
    }

    private async Task<LeaseAttempt> TryLeaseAsync(Func<string, ProjectSettings, TaskCommand> command)
    {
        var project = await projects.GetAsync(_projectId);
        if (_task is null || project is null)
        {
            return new LeaseAttempt(null, LeaseRefusal.NotFound, null);
        }

        // The worker's silo checks the status too, but a routed claim trusts the catalogue of open projects, whose
        // update may have failed after the project was paused or closed: the task itself grants nothing then.
        if (project.Status != ProjectStatus.Open)
        {
            return new LeaseAttempt(null, LeaseRefusal.ProjectNotOpen, NewsForShard(project));
        }

        var settings = project.Settings;
        var leaseId = Guid.NewGuid().ToString("N").ToUpperInvariant();
        var decision = TaskLifecycle.Decide(_task, command(leaseId, settings), Context(project));
        if (decision.Change is null)
        {
            return new LeaseAttempt(null, decision.Refusal, NewsForShard(project));
        }

        var started = time.GetTimestamp();
        await SaveAsync(decision.Change);
        var grant = GrantOf(decision.Change.NewLease!, settings);
        if (time.GetElapsedTime(started) > SlowLeaseWrite)
        {
            // The claim may have timed out while storage held the write (it may even have read the worker's leases
            // again before this one was committed): the worker hears of it directly, without waiting.
            GrainFactory.GetReference<IWorkerGrain>(decision.Change.NewLease!.WorkerId).LeaseGrantedAsync(grant).Ignore();
        }

        return new LeaseAttempt(grant, LeaseRefusal.None, NewsForShard(project));
    }

    /// <summary>
    /// What the task is now, for its shard, naming only who joined since the version the shard last heard of. Handed
    /// out in an answer, it counts as heard: should the answer be lost, the next news names a version the shard does
    /// not hold, and the shard reads the task from storage.
    /// </summary>
    private TaskSnapshot NewsForShard(ProjectInfo project)
    {
        var joined = _shardHeard is { } heard ? new JoinedSince(heard, [.. _joinedWorkers], [.. _joinedReviewers]) : null;
        var snapshot = TaskSnapshots.Of(_task!, project.Overlap, project.DynamicOverlap is not null, joined);
        _shardHeard = snapshot.Version;
        _joinedWorkers.Clear();
        _joinedReviewers.Clear();
        return snapshot;
    }

    /// <summary>What the worker gets for a lease: a review lease carries the result under review, not who gave it.</summary>
    private LeaseGrant GrantOf(LeaseRecord lease, ProjectSettings settings) => new(
        lease.LeaseId, _projectId, _taskId, _task!.PayloadJson, settings.Instructions, settings.LabelConfig, lease.ExpiresAt,
        lease.ReviewOf is { } submitter ? _task.Submissions.Of(submitter)!.ResultJson : null);

    /// <summary>
    /// Loads the task on its first call rather than on activation, so that a claim can hand over the shard's copy and
    /// spare the read. Leases overdue in storage (a silo was lost, or the task slept through a deadline) expire now.
    /// </summary>
    private async Task EnsureLoadedAsync(TaskSeed? seed = null)
    {
        if (!_loaded)
        {
            await LoadAsync(seed);
        }
    }

    private async Task LoadAsync(TaskSeed? seed)
    {
        _task = seed is null
            ? await taskStore.GetAsync(_projectId, _taskId)
            : new TaskRecord(_taskId, seed.Shard, seed.Version, TaskState.Open, seed.Priority, seed.Sequence, seed.PayloadJson, seed.GoldenAnswerJson, 0, [], []);
        _fromSeed = seed is not null;
        _shardMayNotKnow = !_fromSeed;

        // A seed is the shard's own copy of a task no worker touched yet.
        _shardHeard = seed?.Version;
        _joinedWorkers.Clear();
        _joinedReviewers.Clear();
        _loaded = true;
        if (_task is not null && !_fromSeed)
        {
            await ExpireDueAsync();
        }
    }

    public async Task<Result<HeartbeatReceipt>> HeartbeatAsync(string leaseId, string workerId, int? extendSeconds)
    {
        if (await SettingsAsync() is not { } project)
        {
            return Missing<HeartbeatReceipt>();
        }

        var extension = TimeSpan.FromSeconds(extendSeconds ?? project.Settings.LeaseSeconds);
        var decision = TaskLifecycle.Decide(_task!, new TaskCommand.Heartbeat(leaseId, workerId, extension), Context(project));
        return await DecideAsync(decision, project, () => new HeartbeatReceipt(leaseId, TaskLifecycle.Find(_task!, leaseId)!.ExpiresAt));
    }

    public async Task<Result<SubmitReceipt>> SubmitAsync(string leaseId, string workerId, string resultJson)
    {
        if (await SettingsAsync() is not { } project)
        {
            return Missing<SubmitReceipt>();
        }

        var settings = project.Settings;
        if (TaskLifecycle.Find(_task!, leaseId) is { IsReview: true } reviewLease && reviewLease.WorkerId == workerId)
        {
            return await SubmitVerdictAsync(leaseId, workerId, resultJson, project);
        }

        var skills = settings.Requirements.Select(r => r.Skill).ToImmutableArray();
        var command = new TaskCommand.Submit(leaseId, workerId, resultJson, settings.Reward, skills, Reviewed: settings.Review is not null);
        var decision = TaskLifecycle.Decide(_task!, command, Context(project));
        var submission = decision.Change?.NewSubmission;
        return await DecideAsync(decision, project, () => new SubmitReceipt(_taskId, _task!.State, submission!.Correct, submission.Reward, _projectId, submission.State));
    }

    /// <summary>
    /// The submit of a review lease: its result is the verdict. Anything but a verdict is refused before anything is
    /// stored; a stored verdict credits the reviewer the project's review reward, on the reviewed submission's row.
    /// </summary>
    private async Task<Result<SubmitReceipt>> SubmitVerdictAsync(string leaseId, string workerId, string resultJson, ProjectInfo project)
    {
        if (ReviewVerdictJson.Parse(resultJson) is not { } verdict)
        {
            return Result<SubmitReceipt>.Fail(ErrorKind.Validation, ReviewVerdictJson.Expected);
        }

        var reward = project.Settings.Review?.Reward ?? 0m;
        var decision = TaskLifecycle.Decide(_task!, new TaskCommand.CrowdVerdict(leaseId, workerId, verdict.Verdict, verdict.Comment, reward), Context(project));
        var result = await DecideAsync(decision, project, () => new SubmitReceipt(
            _taskId, _task!.State, null, reward, _projectId, decision.Change!.DecidedSubmission!.State, Review: true));
        if (decision.Change?.DecidedSubmission is { } decided)
        {
            LogReviewed(logger, decided.WorkerId, _projectId, _taskId, decided.State, ReviewerKind.Crowd);
            await TellWorkerReviewedAsync(decided.WorkerId);
        }

        return result;
    }

    public async Task<Result<bool>> ReleaseAsync(string leaseId, string workerId, string? reason)
    {
        if (await SettingsAsync() is not { } project)
        {
            return Missing<bool>();
        }

        var decision = TaskLifecycle.Decide(_task!, new TaskCommand.Release(leaseId, workerId), Context(project));
        return await DecideAsync(decision, project, () => true);
    }

    public async Task<Result<TaskView>> RetryAsync()
    {
        if (await SettingsAsync() is not { } project)
        {
            return Missing<TaskView>();
        }

        return await DecideAsync(TaskLifecycle.Decide(_task!, new TaskCommand.Retry(), Context(project)), project, () => _task!.ToView());
    }

    public async Task<Result<SubmissionView>> ReviewAsync(string workerId, ReviewVerdict verdict, ReviewerKind by, string? comment)
    {
        if (await SettingsAsync() is not { } project)
        {
            return Missing<SubmissionView>();
        }

        var decision = TaskLifecycle.Decide(_task!, new TaskCommand.Review(workerId, verdict, by, null, comment), Context(project));
        var result = await DecideAsync(decision, project, () => _task!.Submissions.Of(workerId)!.ToView(), callerHeldALease: false);
        if (decision.Change?.DecidedSubmission is { } decided)
        {
            LogReviewed(logger, workerId, _projectId, _taskId, decided.State, by);
            await TellWorkerReviewedAsync(workerId);
        }

        return result;
    }

    /// <summary>
    /// Accepts, one stored change each, the submissions pending at least the project's <c>autoAcceptSeconds</c>. Its
    /// queue shard calls it on time (see <see cref="TaskQueueGrain"/>); the shard hears the outcome either way.
    /// </summary>
    public async Task AutoAcceptAsync()
    {
        if (await SettingsAsync() is not { } project)
        {
            return;
        }

        var reviewed = new List<string>();
        var overtaken = new List<LeaseRecord>();
        if (project.Settings.Review is { } review)
        {
            var command = new TaskCommand.AutoAccept(review.AutoAcceptAfter);
            while (TaskLifecycle.Decide(_task!, command, Context(project)).Change is { } change)
            {
                await SaveAsync(change);
                LogReviewed(logger, change.DecidedSubmission!.WorkerId, _projectId, _taskId, SubmissionState.Accepted, ReviewerKind.Auto);
                reviewed.Add(change.DecidedSubmission.WorkerId);
                overtaken.AddRange(change.UpdatedLeases);
            }
        }

        await TellShardAsync(project);

        // A crowd reviewer whose item was accepted by the clock first holds that lease no more.
        await TellWorkersAsync(overtaken);
        foreach (var workerId in reviewed)
        {
            await TellWorkerReviewedAsync(workerId);
        }
    }

    /// <summary>Best effort: a worker that misses this reads its totals again on its next activation.</summary>
    private async Task TellWorkerReviewedAsync(string workerId)
    {
        try
        {
            await GrainFactory.GetReference<IWorkerGrain>(workerId).SubmissionReviewedAsync(_projectId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogWorkerNotToldOfReview(logger, e, _projectId, _taskId, workerId);
        }
    }

    private TaskContext Context(ProjectInfo project) =>
        new(time.GetUtcNow(), project.Overlap, project.Settings.MaxAttempts, project.DynamicOverlap, project.Settings.Aggregation?.Field);

    /// <summary>
    /// Activating the task expired its overdue leases; the shard that asked may also have missed news the task stored
    /// just before a silo died, so it hears what the task looks like now.
    /// </summary>
    public async Task PokeAsync()
    {
        var wasLoaded = _loaded;
        await EnsureLoadedAsync();
        if (_task is null || await projects.GetAsync(_projectId) is not { } project)
        {
            return;
        }

        // A fresh load expired what was overdue; an activation that was already awake may have missed a deadline.
        if (wasLoaded)
        {
            await ExpireDueAsync();
        }

        await TellShardAsync(project);
    }

    /// <summary>
    /// Loads the task and its project; a task just read from storage first tells its shard what it is, since the
    /// caller may be retrying a call whose change was stored by an activation lost with its silo before the shard heard.
    /// </summary>
    private async Task<ProjectInfo?> SettingsAsync()
    {
        await EnsureLoadedAsync();
        var project = _task is null ? null : await projects.GetAsync(_projectId);
        if (project is not null && _shardMayNotKnow && _shardRetry is null)
        {
            await TellShardAsync(project);
        }

        return project;
    }

    private Result<T> Missing<T>() => Result<T>.Fail(ErrorKind.NotFound, $"Task '{_taskId}' does not exist in project '{_projectId}'.");

    /// <summary>Stores the decision's change (if any), tells the shard, and answers success or the refusal.</summary>
    /// <param name="callerHeldALease">True for a worker's own lease call: its lease is the change's first, and it learns of
    /// it from the answer.</param>
    private async Task<Result<T>> DecideAsync<T>(TaskDecision decision, ProjectInfo project, Func<T> answer, bool callerHeldALease = true)
    {
        if (decision.Change is { } change)
        {
            await SaveAsync(change);
            await TellShardAsync(project);

            // A dead letter also ends the other workers' leases of this task.
            await TellWorkersAsync(change.UpdatedLeases.Skip(callerHeldALease ? 1 : 0));
        }

        return decision.Error == ErrorKind.None ? Result<T>.Ok(answer()) : Result<T>.Fail(decision.Error, decision.Detail ?? "");
    }

    private async Task SaveAsync(TaskChange change)
    {
        var before = _task!;
        var now = time.GetUtcNow();

        // A project with webhooks stores their deliveries with the change: an event is never lost between the two.
        var project = await projects.GetAsync(_projectId);
        var outbox = project is { HasWebhooks: true } ? WebhookEvents.EntriesOf(project, TaskEvents.Of(_projectId, before, change, now)) : null;
        try
        {
            var version = await taskStore.SaveAsync(_projectId, _taskId, before.Version, change, now, outbox);
            _task = TaskLifecycle.Apply(before, change, version);
            _fromSeed = false;
            if (change.NewLease is { } lease)
            {
                (lease.IsReview ? _joinedReviewers : _joinedWorkers).Add(lease.WorkerId);
            }
        }
        catch (TaskVersionConflictException) when (_fromSeed)
        {
            throw;
        }
        catch (TaskVersionConflictException conflict)
        {
            // Another activation of this task wrote first (a silo was lost moments ago). Start over from storage;
            // the caller gets Orleans' own storage-conflict fault, which every silo knows and answers with 503.
            DeactivateOnIdle();
            throw new InconsistentStateException(conflict.Message, conflict);
        }
        catch
        {
            // What storage holds is unknown now: start over from it on the next call.
            DeactivateOnIdle();
            throw;
        }

        foreach (var @event in TaskEvents.Of(_projectId, before, change, now))
        {
            events.Publish(@event);
            Count(@event.Type);
        }

        // The signal waits until the shard has heard: a claim it wakes looks for work there.
        _freedWork |= TaskEvents.FreesWork(before, change)
            || (TaskEvents.FreesReviewWork(change) && project?.Settings.Review is { Mode: ReviewMode.Crowd })
            || (TaskEvents.AcceptsAnAnswer(change) && project is not null && SlotsGrew(before, project));

        ScheduleExpiry();
    }

    /// <summary>Dynamic overlap: an accepted answer that left the workers still disagreeing opened one more slot.</summary>
    private bool SlotsGrew(TaskRecord before, ProjectInfo project)
    {
        if (_task!.State != TaskState.Open || project.DynamicOverlap is null)
        {
            return false;
        }

        var context = Context(project);
        return TaskLifecycle.SlotsOf(_task, context) > TaskLifecycle.SlotsOf(before, context);
    }

    /// <summary>
    /// Tells the shard what the task looks like now. The change is stored already, so a shard that cannot be reached
    /// (its silo just died) must not fail the caller's call: the task keeps telling it until it hears.
    /// </summary>
    private async Task TellShardAsync(ProjectInfo project)
    {
        var shard = GrainFactory.GetReference<ITaskQueueGrain>(Keys.QueueShard(_projectId, _task!.Shard));
        try
        {
            var snapshot = NewsForShard(project);
            await shard.UpdateAsync([snapshot]);
            _shardRetry?.Dispose();
            _shardRetry = null;
            _shardMayNotKnow = false;
            if (_freedWork)
            {
                _freedWork = false;
                events.SignalWork(_projectId, (int)Math.Min((long)snapshot.FreeSlots + snapshot.ReviewItems, WorkSignal.AllSlots));
            }

            // Not before: a completed task that went away with news untold would leave its shard counting it open.
            if (_task.State == TaskState.Completed)
            {
                DeactivateOnIdle();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whether the shard took the news in is unknown, so the next news names everyone who joined.
            _shardHeard = null;
            _shardMayNotKnow = true;
            LogShardNotTold(logger, e, _projectId, _taskId);
            _shardRetry ??= this.RegisterGrainTimer(
                _ => TellShardAsync(project),
                new GrainTimerCreationOptions { DueTime = ShardRetryPeriod, Period = ShardRetryPeriod, KeepAlive = true });
        }
    }

    /// <summary>Best effort: a worker that misses this forgets the lease anyway once its deadline has passed.</summary>
    private void Count(string eventType)
    {
        var counter = eventType switch
        {
            EventTypes.TaskLeased => metrics.LeasesGranted,
            EventTypes.TaskSubmitted => metrics.Submissions,
            EventTypes.LeaseExpired => metrics.LeasesExpired,
            EventTypes.LeaseReleased => metrics.LeasesReleased,
            EventTypes.TaskDeadLettered => metrics.TasksDeadLettered,
            _ => null,
        };
        counter?.Add(1);
    }

    private async Task TellWorkersAsync(IEnumerable<LeaseRecord> endedLeases)
    {
        try
        {
            await Task.WhenAll(endedLeases.Select(l => GrainFactory.GetReference<IWorkerGrain>(l.WorkerId).LeaseEndedAsync(l.LeaseId)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogWorkerNotTold(logger, e, _projectId, _taskId);
        }
    }

    /// <param name="notBefore">After a failed try: the earliest time for the next one, so that a fault is not retried in a tight loop.</param>
    private void ScheduleExpiry(TimeSpan? notBefore = null)
    {
        _expiryTimer?.Dispose();
        _expiryTimer = null;
        var next = _task!.Leases.Active.Select(l => (DateTimeOffset?)l.ExpiresAt).Min();
        if (next is { } deadline)
        {
            var due = deadline - time.GetUtcNow();
            due = notBefore is { } wait && due < wait ? wait : due;
            _expiryTimer = this.RegisterGrainTimer(
                _ => ExpireOnTimeAsync(),
                new GrainTimerCreationOptions { DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        }
    }

    /// <summary>
    /// The expiry timer's turn. It fires once, so a try that fails (the project or storage does not answer while a silo
    /// is being lost) must set it again, or the lease would stay active until something else woke the task.
    /// </summary>
    private async Task ExpireOnTimeAsync()
    {
        try
        {
            await ExpireDueAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogExpiryFailed(logger, e, _projectId, _taskId);
            ScheduleExpiry(notBefore: ExpiryRetryDelay);
        }
    }

    /// <summary>Expires every overdue lease, one stored change each, and tells the shard and the workers.</summary>
    private async Task ExpireDueAsync()
    {
        var project = await projects.GetAsync(_projectId);
        if (project is null)
        {
            return;
        }

        var ended = new List<LeaseRecord>();
        while (TaskLifecycle.Decide(_task!, new TaskCommand.ExpireDue(), Context(project)).Change is { } change)
        {
            await SaveAsync(change);
            ended.AddRange(change.UpdatedLeases);
            LogLeaseExpired(logger, change.UpdatedLeases[0].LeaseId, _projectId, _taskId);
        }

        if (ended.Count > 0)
        {
            await TellShardAsync(project);
            await TellWorkersAsync(ended);
        }

        ScheduleExpiry();
    }
}
