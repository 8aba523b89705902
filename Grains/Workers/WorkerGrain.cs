using System.Collections.Immutable;
using System.Security.Cryptography;
using Dispatch.Common;
using Dispatch.Grains.Projects;
using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Dispatch.Workers;

namespace Dispatch.Grains.Workers;

/// <summary>
/// A worker. Its profile (certifications, block) is grain state; its active leases and totals are derived from
/// the task store on activation and kept in memory, because the tasks, not the worker, store every lease and
/// submission — so a submit is one write, and earnings can never be credited twice.
/// </summary>
public sealed class WorkerGrain(
    [PersistentState("worker", StorageNames.Grains)] IPersistentState<WorkerState> state,
    ITaskStore taskStore,
    ProjectDirectory projects,
    RoutingTable routing,
    TimeProvider time) : Grain, IWorkerGrain
{
    private readonly Dictionary<string, LeaseGrant> _active = new(StringComparer.Ordinal);
    private WorkerTotals _totals = WorkerTotals.Zero;

    private string WorkerId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!state.State.Exists)
        {
            return;
        }

        _totals = await taskStore.GetWorkerTotalsAsync(WorkerId, cancellationToken);
        foreach (var active in await taskStore.GetActiveLeasesAsync(WorkerId, cancellationToken))
        {
            var settings = (await projects.GetAsync(active.ProjectId))?.Settings;
            _active[active.Lease.LeaseId] = new LeaseGrant(active.Lease.LeaseId, active.ProjectId, active.TaskId, active.PayloadJson, settings?.Instructions, settings?.LabelConfig, active.Lease.ExpiresAt);
        }

        // Leases overdue in storage belong to tasks that were not active to expire them: wake those tasks.
        var now = time.GetUtcNow();
        await Task.WhenAll(_active.Values.Where(l => l.ExpiresAt <= now).Select(l => TaskOf(l).PokeAsync()));
    }

    public async Task<Result<WorkerView>> CreateAsync(string? displayName, int maxActiveLeases, byte[] tokenHash)
    {
        if (state.State.Exists)
        {
            return Result<WorkerView>.Fail(ErrorKind.Conflict, $"Worker '{WorkerId}' already exists.");
        }

        state.State = new WorkerState
        {
            Exists = true,
            DisplayName = displayName,
            MaxActiveLeases = maxActiveLeases,
            TokenHash = tokenHash,
            CreatedAt = time.GetUtcNow(),
        };
        await state.WriteOrDeactivateAsync(this);
        return Result<WorkerView>.Ok(View());
    }

    public Task<WorkerView?> GetAsync() => Task.FromResult(state.State.Exists ? View() : null);

    public Task<bool> HasTokenAsync(byte[] tokenHash) =>
        Task.FromResult(state.State.Exists && CryptographicOperations.FixedTimeEquals(state.State.TokenHash, tokenHash));

    public Task<Result<WorkerView>> CertifyAsync(string skill, int level, CertificationSource source) =>
        ChangeAsync(s => s.Certifications[skill] = new Certification(skill, level, source, time.GetUtcNow(), Suspended: false));

    public Task<Result<WorkerView>> RevokeAsync(string skill) => ChangeAsync(s => s.Certifications.Remove(skill));

    public async Task<Result<WorkerView>> BlockAsync(string? reason)
    {
        var result = await ChangeAsync(s =>
        {
            s.Blocked = true;
            s.BlockReason = reason;
        });
        if (result.IsSuccess)
        {
            foreach (var lease in _active.Values.ToList())
            {
                await TaskOf(lease).ReleaseAsync(lease.LeaseId, WorkerId, "worker blocked");
                _active.Remove(lease.LeaseId);
            }
        }

        return result.IsSuccess ? Result<WorkerView>.Ok(View()) : result;
    }

    public Task<Result<WorkerView>> UnblockAsync() => ChangeAsync(s =>
    {
        s.Blocked = false;
        s.BlockReason = null;
    });

    public async Task<Result<LeaseGrant?>> ClaimAsync(string? projectId)
    {
        if (!state.State.Exists)
        {
            return Result<LeaseGrant?>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
        }

        if (state.State.Blocked)
        {
            return Result<LeaseGrant?>.Fail(ErrorKind.WorkerBlocked, $"Worker '{WorkerId}' is blocked.");
        }

        if (_active.Count >= state.State.MaxActiveLeases)
        {
            return Result<LeaseGrant?>.Fail(ErrorKind.Conflict, $"Worker '{WorkerId}' already holds {_active.Count} active leases, its maximum.");
        }

        LeaseGrant? grant;
        if (projectId is not null)
        {
            var project = await projects.GetAsync(projectId);
            if (project is null)
            {
                return Result<LeaseGrant?>.Fail(ErrorKind.NotFound, $"Project '{projectId}' does not exist.");
            }

            if (!Requirements.AreMet(project.Settings.Requirements, state.State.Certifications))
            {
                return Result<LeaseGrant?>.Fail(ErrorKind.Forbidden, $"Worker '{WorkerId}' does not meet the requirements of project '{projectId}'.");
            }

            if (project.Status != ProjectStatus.Open)
            {
                return Result<LeaseGrant?>.Fail(ErrorKind.ProjectNotOpen, $"Project '{projectId}' is {project.Status.ToString().ToLowerInvariant()}.");
            }

            grant = await ClaimFromAsync(project);
        }
        else
        {
            grant = await ClaimRoutedAsync();
        }

        if (grant is not null)
        {
            _active[grant.LeaseId] = grant;
        }

        return Result<LeaseGrant?>.Ok(grant);
    }

    public Task<ImmutableArray<LeaseGrant>> GetActiveLeasesAsync() =>
        Task.FromResult(_active.Values.OrderBy(l => l.ExpiresAt).ToImmutableArray());

    public async Task<Result<HeartbeatReceipt>> HeartbeatAsync(string leaseId, int? extendSeconds)
    {
        var result = await OnLeaseAsync(leaseId, (task, lease) => task.HeartbeatAsync(lease, WorkerId, extendSeconds), keepsLease: true);
        if (result.IsSuccess && _active.TryGetValue(leaseId, out var grant))
        {
            _active[leaseId] = grant with { ExpiresAt = result.Value!.ExpiresAt };
        }

        return result;
    }

    public async Task<Result<SubmitReceipt>> SubmitAsync(string leaseId, string resultJson)
    {
        var result = await OnLeaseAsync(leaseId, (task, lease) => task.SubmitAsync(lease, WorkerId, resultJson));
        if (result.IsSuccess)
        {
            var receipt = result.Value!;
            _totals = new WorkerTotals(
                _totals.Submitted + 1,
                _totals.GoldenSeen + (receipt.Correct is null ? 0 : 1),
                _totals.GoldenCorrect + (receipt.Correct == true ? 1 : 0),
                _totals.Earnings + receipt.Reward);
        }

        return result;
    }

    public Task<Result<bool>> ReleaseAsync(string leaseId, string? reason) =>
        OnLeaseAsync(leaseId, (task, lease) => task.ReleaseAsync(lease, WorkerId, reason));

    public Task LeaseEndedAsync(string leaseId)
    {
        _active.Remove(leaseId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sends a lease call to the lease's task. A lease this activation does not hold (ended, or from before a
    /// restart) is looked up in storage, so that the task itself answers expired or not active.
    /// </summary>
    /// <param name="keepsLease">True when success leaves the lease active (a heartbeat); every other answer ends it.</param>
    private async Task<Result<T>> OnLeaseAsync<T>(string leaseId, Func<ITaskGrain, string, Task<Result<T>>> call, bool keepsLease = false)
    {
        ITaskGrain task;
        if (_active.TryGetValue(leaseId, out var grant))
        {
            task = TaskOf(grant);
        }
        else if (await taskStore.FindLeaseAsync(leaseId) is { } location && location.WorkerId == WorkerId)
        {
            task = GrainFactory.GetGrain<ITaskGrain>(Keys.Task(location.ProjectId, location.TaskId));
        }
        else
        {
            return Result<T>.Fail(ErrorKind.NotFound, $"Lease '{leaseId}' does not exist for worker '{WorkerId}'.");
        }

        var result = await call(task, leaseId);
        if (!(keepsLease && result.IsSuccess))
        {
            _active.Remove(leaseId);
        }

        return result;
    }

    private async Task<LeaseGrant?> ClaimRoutedAsync()
    {
        foreach (var route in await routing.RoutesForAsync(state.State.Certifications))
        {
            if (await projects.GetAsync(route.ProjectId) is { Status: ProjectStatus.Open } project
                && Requirements.AreMet(project.Settings.Requirements, state.State.Certifications)
                && await ClaimFromAsync(project) is { } grant)
            {
                return grant;
            }
        }

        return null;
    }

    /// <summary>
    /// Keeps the project's claim order across its shards: every shard tells where its first task for this worker
    /// stands, and the claim goes to the best one (the next best if that one was taken meanwhile).
    /// </summary>
    private async Task<LeaseGrant?> ClaimFromAsync(ProjectInfo project)
    {
        var shards = Enumerable.Range(0, project.QueueShards)
            .Select(i => GrainFactory.GetGrain<ITaskQueueGrain>(Keys.QueueShard(project.Id, i)))
            .ToArray();
        var heads = await Task.WhenAll(shards.Select(s => s.PeekAsync(WorkerId)));
        var byClaimOrder = Enumerable.Range(0, shards.Length)
            .Where(i => heads[i] is not null)
            .OrderBy(i => heads[i])
            .ThenBy(_ => Random.Shared.Next());
        foreach (var i in byClaimOrder)
        {
            if (await shards[i].ClaimAsync(WorkerId) is { } grant)
            {
                return grant;
            }
        }

        return null;
    }

    private ITaskGrain TaskOf(LeaseGrant lease) => GrainFactory.GetGrain<ITaskGrain>(Keys.Task(lease.ProjectId, lease.TaskId));

    private async Task<Result<WorkerView>> ChangeAsync(Action<WorkerState> change)
    {
        if (!state.State.Exists)
        {
            return Result<WorkerView>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
        }

        change(state.State);
        await state.WriteOrDeactivateAsync(this);
        return Result<WorkerView>.Ok(View());
    }

    private WorkerView View() => new(
        WorkerId,
        state.State.DisplayName,
        state.State.MaxActiveLeases,
        state.State.Blocked,
        state.State.Certifications.Values.OrderBy(c => c.Skill, StringComparer.Ordinal).ToImmutableArray(),
        _active.Count,
        new WorkerStats(_totals.Submitted, _totals.GoldenSeen, _totals.GoldenCorrect),
        _totals.Earnings);
}
