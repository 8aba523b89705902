using System.Collections.Immutable;
using System.Globalization;
using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// Holds no grain state: on activation it loads its open and dead-lettered tasks from the task store, and from
/// then on learns every change from the tasks themselves (versioned snapshots, so late news never wins).
/// Reentrant, so that many claims wait on their tasks at once; every change of its fields happens between awaits.
/// </summary>
/// <remarks>
/// News can die with a silo: a task there may have stored a change and not told the shard yet, and a claim may have
/// stored a lease whose answer was lost. So a shard asks again (a poke, which the task answers with what it now is)
/// the task of every claim that failed, and, once a silo of the cluster is declared dead, every task that could change
/// without it (an active lease, a submission pending review). The poke waits behind the task's calls in flight, and an
/// activation elsewhere reads storage, so the answer is storage's truth; asking costs one call per task in play.
/// </remarks>
/// <remarks>
/// Auto-accept: the shard knows when each of its tasks' oldest pending submission was stored, so it alone keeps the
/// time for all of them: one grain timer for the earliest due auto-accept (precise while it is active), and while any
/// submission is pending one reminder whose first tick is that same moment (durable: after a restart or the loss of
/// its silo the reminder activates the shard again, which loads the pending submissions and sets its timer). The
/// reminder is written again only when the earliest due moment moves earlier or has passed, so a submit seldom pays
/// for it; no task or submission is kept active while it waits.
/// </remarks>
[Reentrant]
public sealed partial class TaskQueueGrain(
    ITaskStore taskStore, ProjectDirectory projects, IClusterMembershipService membership, TimeProvider time, ILogger<TaskQueueGrain> logger)
    : Grain, ITaskQueueGrain, IRemindable
{
    /// <summary>How many tasks one claim tries before it gives up on this shard (each refusal is a race lost).</summary>
    private const int MaxTriesPerClaim = 16;

    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(2);

    /// <summary>Tasks asked again in one sweep at most, so that a silo's loss spreads its pokes over a few sweeps.</summary>
    private const int MostPokesPerSweep = 1024;

    private readonly TaskQueue _queue = new();
    private readonly TaskSeedWindow _seeds = new();
    private Task? _seedRead;
    private string _projectId = "";
    private int? _overlap;
    private bool _dynamicOverlap;

    // Tasks whose news may have been lost, to be asked again by the sweep.
    private readonly HashSet<string> _suspects = new(StringComparer.Ordinal);
    private SiloLossWatch? _siloLosses;

    private const string AutoAcceptReminder = "auto-accept";

    // Reminders may not tick more often; this one is only a durable wake-up, the timer keeps the time.
    private static readonly TimeSpan AutoAcceptReminderPeriod = TimeSpan.FromMinutes(1);

    // After a round of auto-accepts that could not reach every task, the next try waits this long.
    private static readonly TimeSpan AutoAcceptRetryDelay = TimeSpan.FromSeconds(1);

    private IGrainTimer? _autoAcceptTimer;
    private DateTimeOffset? _timerDue;

    // The first tick of the reminder this activation registered; null when it registered none.
    private DateTimeOffset? _reminderDue;
    private Task? _scheduling;
    private bool _scheduleAgain;
    private bool _autoAcceptFailed;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (projectId, shard) = Keys.Split(this.GetPrimaryKeyString());
        _projectId = projectId;
        var project = await projects.GetAsync(projectId);
        _overlap = project?.Overlap;
        _dynamicOverlap = project?.DynamicOverlap is not null;

        // Before the load: a silo declared dead while it reads may have left news of changes made after the read.
        _siloLosses = new SiloLossWatch(membership);
        var snapshot = await taskStore.LoadShardAsync(projectId, int.Parse(shard, CultureInfo.InvariantCulture), _overlap, _dynamicOverlap, cancellationToken);
        _queue.Load(snapshot);
        this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions { DueTime = SweepPeriod, Period = SweepPeriod, Interleave = true });
        if (_queue.OldestPendingSince() is not null)
        {
            await ScheduleAutoAcceptAsync();
        }
    }

    public Task<ShardPeek> PeekAsync(string workerId) =>
        Task.FromResult(new ShardPeek(HeadOf(_queue.Peek(workerId)), _queue.ReadyCount > 0, HeadOf(_queue.Peek(null))));

    public async Task<ShardClaim> ClaimAsync(string workerId) => new(await LeaseFirstAsync(workerId), HeadOf(_queue.Peek(null)));

    public Task<LeaseGrant?> ClaimReviewAsync(string workerId)
    {
        if (!_queue.HasReviewItems)
        {
            return Task.FromResult<LeaseGrant?>(null);
        }

        // A task that refuses this reviewer (it reviewed every free item there before) is not offered again.
        var tried = new HashSet<int>();
        return LeaseFirstAsync(
            () => _queue.ReserveReview(workerId, tried) is { } entry && tried.Add(entry.Slot) ? entry : null,
            entry => TaskOf(entry).LeaseReviewAsync(workerId));
    }

    private static QueueHead? HeadOf(TaskQueue.Entry? entry) =>
        entry?.Task is { } task ? new QueueHead(task.Priority, task.Sequence) : null;

    private Task<LeaseGrant?> LeaseFirstAsync(string workerId) =>
        LeaseFirstAsync(() => _queue.Reserve(workerId), async entry => await TaskOf(entry).LeaseAsync(workerId, await SeedForAsync(entry)));

    /// <summary>
    /// Offers the claim the tasks <paramref name="reserve"/> hands out, one at a time, until one leases: each refusal
    /// is a race lost, and the task's answer tells the shard what it looks like now.
    /// </summary>
    private async Task<LeaseGrant?> LeaseFirstAsync(Func<TaskQueue.Entry?> reserve, Func<TaskQueue.Entry, Task<LeaseAttempt>> lease)
    {
        for (var tries = 0; tries < MaxTriesPerClaim; tries++)
        {
            var entry = reserve();
            if (entry is null)
            {
                return null;
            }

            LeaseAttempt attempt;
            try
            {
                attempt = await lease(entry);
            }
            catch
            {
                // The task may have stored the lease and lost only the answer.
                _suspects.Add(entry.TaskId);
                throw;
            }
            finally
            {
                _queue.Unreserve(entry);
            }

            if (attempt.Snapshot is { } snapshot)
            {
                await ApplyAsync(snapshot);
            }
            else if (attempt.Refusal == LeaseRefusal.NotFound)
            {
                _queue.Drop(entry);
            }

            if (attempt.Grant is { } grant)
            {
                return grant;
            }

            if (attempt.Refusal == LeaseRefusal.ProjectNotOpen)
            {
                return null;
            }
        }

        return null;
    }

    private ITaskGrain TaskOf(TaskQueue.Entry entry) => GrainFactory.GetReference<ITaskGrain>(Keys.Task(_projectId, entry.TaskId));

    /// <summary>
    /// The seed of a never-leased task, from the window of seeds read a page at a time (when reads cost a round trip);
    /// null when the task has history, or its page could not be read: the task then reads storage itself.
    /// </summary>
    private async Task<TaskSeed?> SeedForAsync(TaskQueue.Entry entry)
    {
        // Another claim already on this task (overlap) brings its seed, or the task is active and needs none.
        if (!taskStore.ReadsCostARoundTrip || !TaskSeedWindow.Describes(entry.Task) || _queue.ClaimsOn(entry) > 1)
        {
            return null;
        }

        for (var reads = 0; reads < 2; reads++)
        {
            if (_seeds.Take(entry.Task) is { } seed)
            {
                return seed;
            }

            if (_seedRead is not { IsCompleted: false })
            {
                _seedRead = ReadSeedsAsync(entry);
            }

            await _seedRead;
        }

        return _seeds.Take(entry.Task);
    }

    private async Task ReadSeedsAsync(TaskQueue.Entry first)
    {
        var wanted = _seeds.Wanted(_queue.UnclaimedFrom(first));
        if (wanted.Count == 0)
        {
            return;
        }

        try
        {
            _seeds.Add(await taskStore.GetSeedsAsync(_projectId, wanted));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSeedsNotRead(logger, e, _projectId);
        }
    }

    public Task ImportedAsync(ImmutableArray<TaskSnapshot> tasks)
    {
        foreach (var task in tasks)
        {
            _queue.Apply(task);
        }

        return Task.CompletedTask;
    }

    public async Task UpdateAsync(ImmutableArray<TaskSnapshot> tasks)
    {
        var reviewNews = false;
        foreach (var task in tasks)
        {
            reviewNews |= task.PendingSince is not null || _autoAcceptTimer is not null;
            if (_queue.Knows(task.TaskId))
            {
                await ApplyAsync(task);
            }
            else
            {
                // Late news of a task this activation never loaded (it reloaded after the news was sent):
                // what storage says now is the truth, whatever the news said.
                await ApplyStoredAsync(task.TaskId);
            }
        }

        // Awaited, so that a submit is answered only once the wake-up for its auto-accept is stored.
        if (reviewNews)
        {
            await ScheduleAutoAcceptAsync();
        }
    }

    /// <summary>
    /// Takes in a task's news; news that names only who joined since a version this shard missed is replaced by what
    /// storage holds. Should that read fail, the shard keeps what it knew: the task itself still refuses a worker who
    /// held it, and its next news tries again.
    /// </summary>
    private async Task ApplyAsync(TaskSnapshot snapshot)
    {
        if (!_queue.Apply(snapshot))
        {
            try
            {
                await ApplyStoredAsync(snapshot.TaskId);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTaskNotRead(logger, e, _projectId, snapshot.TaskId);
            }
        }
    }

    private async Task ApplyStoredAsync(string taskId)
    {
        if (await taskStore.GetAsync(_projectId, taskId) is { } stored)
        {
            _queue.Apply(TaskSnapshots.Of(stored, _overlap, _dynamicOverlap));
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == AutoAcceptReminder)
        {
            await AutoAcceptDueAsync();
        }
    }

    /// <summary>Sets the timer and the reminder for the earliest due auto-accept, or ends both when nothing is pending.</summary>
    private async Task ScheduleAutoAcceptAsync()
    {
        if (_scheduling is { IsCompleted: false })
        {
            // The run under way reads the queue again when it is done.
            _scheduleAgain = true;
            await _scheduling;
            return;
        }

        _scheduling = ScheduleUntilSettledAsync();
        await _scheduling;
    }

    private async Task ScheduleUntilSettledAsync()
    {
        do
        {
            _scheduleAgain = false;
            try
            {
                await ScheduleOnceAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReminderFailed(logger, e, _projectId);
                _reminderDue = null;
            }
        }
        while (_scheduleAgain);
    }

    private async Task ScheduleOnceAsync()
    {
        var oldest = _queue.OldestPendingSince();
        var review = oldest is null ? null : (await projects.GetAsync(_projectId))?.Settings.Review;
        if (oldest is null || review is null)
        {
            _autoAcceptTimer?.Dispose();
            _autoAcceptTimer = null;
            _timerDue = null;
            if (await this.GetReminder(AutoAcceptReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminderDue = null;
            return;
        }

        var now = time.GetUtcNow();
        var due = oldest.Value + review.AutoAcceptAfter;
        if (_timerDue != due || _autoAcceptTimer is null)
        {
            _autoAcceptTimer?.Dispose();
            var wait = due - now;
            if (wait <= TimeSpan.Zero)
            {
                wait = _autoAcceptFailed ? AutoAcceptRetryDelay : TimeSpan.Zero;
            }

            _autoAcceptTimer = this.RegisterGrainTimer(
                _ => AutoAcceptDueAsync(),
                new GrainTimerCreationOptions { DueTime = wait, Period = Timeout.InfiniteTimeSpan, Interleave = true });
            _timerDue = due;
        }

        // A reminder ticking on from a moment already passed would wake a restarted shard up to a period late.
        if (due > now && (_reminderDue is null || due < _reminderDue || _reminderDue <= now))
        {
            await this.RegisterOrUpdateReminder(AutoAcceptReminder, due - now, AutoAcceptReminderPeriod);
            _reminderDue = due;
        }
    }

    /// <summary>Asks every task with a submission pending long enough to accept it; each tells the shard what changed.</summary>
    private async Task AutoAcceptDueAsync()
    {
        // The timer is one-shot (and a reminder's tick makes it moot): the schedule below sets the next one.
        _autoAcceptTimer?.Dispose();
        _autoAcceptTimer = null;
        _timerDue = null;
        var review = (await projects.GetAsync(_projectId))?.Settings.Review;
        IReadOnlyList<string> due = review is null ? [] : _queue.PendingSince(time.GetUtcNow() - review.AutoAcceptAfter);
        var failed = false;
        await Task.WhenAll(due.Select(async taskId =>
        {
            try
            {
                await GrainFactory.GetReference<ITaskGrain>(Keys.Task(_projectId, taskId)).AutoAcceptAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAutoAcceptFailed(logger, e, _projectId, taskId);
                failed = true;
            }
        }));

        _autoAcceptFailed = failed;
        await ScheduleAutoAcceptAsync();
    }

    public Task<ProjectCounts> GetCountsAsync() => Task.FromResult(_queue.Counts);

    /// <summary>
    /// Pokes the tasks whose news may have been lost, and those whose lease is overdue but has not expired (they were
    /// on a silo that went away: activating them again runs their expiry). Healthy tasks expire their own leases on
    /// time and are not touched here unless a silo was lost.
    /// </summary>
    private Task SweepAsync(CancellationToken cancellationToken)
    {
        if (_siloLosses!.SiloLostSinceLastLook())
        {
            var inPlay = _queue.InPlay();
            _suspects.UnionWith(inPlay);
            LogSiloLost(logger, _projectId, inPlay.Count);
        }

        var suspects = _suspects.Take(MostPokesPerSweep).ToList();
        _suspects.ExceptWith(suspects);
        var overdue = _queue.OverdueTasks(time.GetUtcNow() - SweepPeriod);
        return Task.WhenAll(suspects.Union(overdue).Select(PokeAsync));
    }

    private async Task PokeAsync(string taskId)
    {
        try
        {
            await GrainFactory.GetReference<ITaskGrain>(Keys.Task(_projectId, taskId)).PokeAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Its silo may not be declared dead yet: the next sweep asks again.
            _suspects.Add(taskId);
            LogPokeFailed(logger, e, _projectId, taskId);
        }
    }
}
