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
[Reentrant]
public sealed partial class TaskQueueGrain(ITaskStore taskStore, ProjectDirectory projects, TimeProvider time, ILogger<TaskQueueGrain> logger) : Grain, ITaskQueueGrain
{
    /// <summary>How many tasks one claim tries before it gives up on this shard (each refusal is a race lost).</summary>
    private const int MaxTriesPerClaim = 16;

    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(2);

    private readonly TaskQueue _queue = new();
    private readonly TaskSeedWindow _seeds = new();
    private Task? _seedRead;
    private string _projectId = "";
    private int? _overlap;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (projectId, shard) = Keys.Split(this.GetPrimaryKeyString());
        _projectId = projectId;
        var project = await projects.GetAsync(projectId);
        _overlap = project?.Overlap;
        var snapshot = await taskStore.LoadShardAsync(projectId, int.Parse(shard, CultureInfo.InvariantCulture), _overlap, cancellationToken);
        _queue.Load(snapshot);
        this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions { DueTime = SweepPeriod, Period = SweepPeriod, Interleave = true });
    }

    public Task<ShardPeek> PeekAsync(string workerId) =>
        Task.FromResult(new ShardPeek(HeadOf(_queue.Peek(workerId)), _queue.ReadyCount > 0, HeadOf(_queue.Peek(null))));

    public async Task<ShardClaim> ClaimAsync(string workerId) => new(await LeaseFirstAsync(workerId), HeadOf(_queue.Peek(null)));

    private static QueueHead? HeadOf(TaskQueue.Entry? entry) =>
        entry?.Task is { } task ? new QueueHead(task.Priority, task.Sequence) : null;

    private async Task<LeaseGrant?> LeaseFirstAsync(string workerId)
    {
        for (var tries = 0; tries < MaxTriesPerClaim; tries++)
        {
            var entry = _queue.Reserve(workerId);
            if (entry is null)
            {
                return null;
            }

            LeaseAttempt attempt;
            try
            {
                var seed = await SeedForAsync(entry);
                attempt = await GrainFactory.GetReference<ITaskGrain>(Keys.Task(_projectId, entry.TaskId)).LeaseAsync(workerId, seed);
            }
            finally
            {
                _queue.Unreserve(entry);
            }

            if (attempt.Snapshot is { } snapshot)
            {
                _queue.Apply(snapshot);
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
        foreach (var task in tasks)
        {
            if (_queue.Knows(task.TaskId))
            {
                _queue.Apply(task);
            }
            else if (await taskStore.GetAsync(_projectId, task.TaskId) is { } stored)
            {
                // Late news of a task this activation never loaded (it reloaded after the news was sent):
                // what storage says now is the truth, whatever the news said.
                _queue.Apply(TaskSnapshots.Of(stored, _overlap));
            }
        }
    }

    public Task<ProjectCounts> GetCountsAsync() => Task.FromResult(_queue.Counts);

    /// <summary>
    /// A task whose lease is overdue but has not expired was on a silo that went away: activating it again
    /// runs its expiry. Healthy tasks expire their own leases on time and are never touched here.
    /// </summary>
    private Task SweepAsync(CancellationToken cancellationToken)
    {
        var overdue = _queue.OverdueTasks(time.GetUtcNow() - SweepPeriod);
        return Task.WhenAll(overdue.Select(taskId => GrainFactory.GetReference<ITaskGrain>(Keys.Task(_projectId, taskId)).PokeAsync()));
    }
}
