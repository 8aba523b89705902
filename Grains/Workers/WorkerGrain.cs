using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using Dispatch.Common;
using Dispatch.Events;
using Dispatch.Grains.Events;
using Dispatch.Grains.Money;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Webhooks;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Dispatch.Workers;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Workers;

/// <summary>
/// A worker. Its profile (certifications, block) is grain state; its active leases and totals are derived from
/// the task store on activation and kept in memory, because the tasks, not the worker, store every lease and
/// submission — so a submit is one write, and earnings can never be credited twice.
/// </summary>
public sealed partial class WorkerGrain(
    [PersistentState("worker", StorageNames.Grains)] IPersistentState<WorkerState> state,
    ITaskStore taskStore,
    ILedgerStore ledger,
    ProjectDirectory projects,
    RoutingTable routing,
    EventPublisher events,
    IWebhookOutbox webhookOutbox,
    ClaimRouter claims,
    DispatchMetrics metrics,
    TimeProvider time,
    ILogger<WorkerGrain> logger) : Grain, IWorkerGrain
{
    private readonly Dictionary<string, LeaseGrant> _active = new(StringComparer.Ordinal);
    private WorkerTotals _totals = WorkerTotals.Zero;

    // Set when a submit failed without an answer: the task may have stored it, so the sums are read again.
    private bool _totalsUnsure;

    // Set when a claim failed without an answer: its task may have stored a lease this activation never heard of,
    // so the active leases are read again before they are next used.
    private bool _leasesUnsure;

    // Projects with verdicts on this worker's submissions whose quality rule has yet to be applied, and the one-shot
    // timer that applies them (see SubmissionReviewedAsync).
    private readonly HashSet<string> _reviewedProjects = new(StringComparer.Ordinal);
    private IGrainTimer? _reviewsTimer;

    // Leases ended while the active leases are being read again, so that the read does not bring them back.
    private HashSet<string>? _endedDuringReread;

    /// <summary>A lease this long past its deadline has surely been expired by its task, even if the news was lost.</summary>
    private static readonly TimeSpan ForgetAfterDeadline = TimeSpan.FromSeconds(5);

    private string WorkerId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!state.State.Exists)
        {
            return;
        }

        _totals = await taskStore.GetWorkerTotalsAsync(WorkerId, cancellationToken);
        _ledgerSums = await ledger.GetSumsAsync(WorkerId, cancellationToken);
        foreach (var active in await taskStore.GetActiveLeasesAsync(WorkerId, cancellationToken))
        {
            _active[active.Lease.LeaseId] = await ToGrantAsync(active);
        }

        // Leases overdue in storage belong to tasks that were not active to expire them: wake those tasks, without
        // waiting for them. A task that expires one tells this worker, and a message to a grain still activating waits
        // for the activation to end: waiting here would hold both until the response timeout.
        var now = time.GetUtcNow();
        foreach (var overdue in _active.Values.Where(l => l.ExpiresAt <= now))
        {
            TaskOf(overdue).PokeAsync().Ignore();
        }

        if (state.State.Announcements.Count > 0)
        {
            await StoreAnnouncementsAsync();
        }
    }

    public async Task<Result<WorkerView>> CreateAsync(string? displayName, int maxActiveLeases, byte[] tokenHash)
    {
        if (WorkerRules.CheckMaxActiveLeases(maxActiveLeases) is { Count: > 0 } errors)
        {
            return FieldError.Refuse<WorkerView>(errors);
        }

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
        await state.WriteOrDeactivateAsync(this, logger);
        LogCreated(logger, WorkerId, maxActiveLeases);
        return Result<WorkerView>.Ok(View());
    }

    public async Task<WorkerView?> GetAsync()
    {
        if (!state.State.Exists)
        {
            return null;
        }

        await EnsureTotalsAsync();
        await EnsureLeasesAsync();
        ForgetLeasesPastDeadline();
        return View();
    }

    public Task<bool> HasTokenAsync(byte[] tokenHash) =>
        Task.FromResult(state.State.Exists && CryptographicOperations.FixedTimeEquals(state.State.TokenHash, tokenHash));

    public async Task<Result<WorkerView>> CertifyAsync(string skill, int level, CertificationSource source)
    {
        if (WorkerRules.CheckCertification(skill, level) is { Count: > 0 } errors)
        {
            return FieldError.Refuse<WorkerView>(errors);
        }

        var result = await ChangeAsync(s => s.Certifications[skill] = new Certification(skill, level, source, time.GetUtcNow(), Suspended: false));
        if (result.IsSuccess)
        {
            LogCertified(logger, WorkerId, skill, level, source);
        }

        return result;
    }

    public async Task<Result<WorkerView>> RevokeAsync(string skill)
    {
        var result = await ChangeAsync(s => s.Certifications.Remove(skill));
        if (result.IsSuccess)
        {
            LogRevoked(logger, WorkerId, skill);
        }

        return result;
    }

    public async Task<Result<WorkerView>> BlockAsync(string? reason)
    {
        var result = await ChangeAsync(s =>
        {
            s.Blocked = true;
            s.BlockReason = reason;
        });
        if (result.IsSuccess)
        {
            LogBlocked(logger, WorkerId, _active.Count);
            foreach (var lease in _active.Values.ToList())
            {
                await TaskOf(lease).ReleaseAsync(lease.LeaseId, WorkerId, "worker blocked");
                _active.Remove(lease.LeaseId);
            }
        }

        return result.IsSuccess ? Result<WorkerView>.Ok(View()) : result;
    }

    public async Task<Result<WorkerView>> UnblockAsync()
    {
        var result = await ChangeAsync(s =>
        {
            s.Blocked = false;
            s.BlockReason = null;
        });
        if (result.IsSuccess)
        {
            LogUnblocked(logger, WorkerId);
        }

        return result;
    }

    public async Task<Result<LeaseGrant?>> ClaimAsync(string? projectId)
    {
        if (!state.State.Exists)
        {
            return Result<LeaseGrant?>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
        }

        if (state.State.Blocked)
        {
            return Blocked<LeaseGrant?>();
        }

        await EnsureLeasesAsync();
        ForgetLeasesPastDeadline();
        if (_active.Count >= state.State.MaxActiveLeases)
        {
            return Result<LeaseGrant?>.Fail(ErrorKind.Conflict, $"Worker '{WorkerId}' already holds {_active.Count} active leases, its maximum.");
        }

        var started = time.GetTimestamp();
        LeaseGrant? grant;
        if (projectId is not null)
        {
            var project = await projects.GetAsync(projectId);
            if (project is null)
            {
                return Result<LeaseGrant?>.Fail(ErrorKind.NotFound, $"Project '{projectId}' does not exist.");
            }

            var mayReview = MayReview(project);
            var mayWork = Requirements.AreMet(project.Settings.Requirements, state.State.Certifications);
            if (!mayReview && !mayWork)
            {
                return Result<LeaseGrant?>.Fail(ErrorKind.Forbidden, $"Worker '{WorkerId}' does not meet the requirements of project '{projectId}'.");
            }

            if (project.Status != ProjectStatus.Open)
            {
                return Result<LeaseGrant?>.Fail(ErrorKind.ProjectNotOpen, $"Project '{projectId}' is {project.Status.ToString().ToLowerInvariant()}.");
            }

            // Within a project, review items come before tasks to a worker who may take both.
            grant = await WatchedAsync(async () =>
                (mayReview ? await claims.ClaimReviewFromAsync(WorkerId, project.Id, project.QueueShards) : null)
                ?? (mayWork ? await claims.ClaimFromAsync(WorkerId, project.Id, project.QueueShards) : null));
        }
        else
        {
            grant = await WatchedAsync(() => claims.ClaimRoutedAsync(WorkerId, state.State.Certifications));
        }

        if (grant is not null)
        {
            _active[grant.LeaseId] = grant;
        }
        else
        {
            metrics.ClaimsWithoutWork.Add(1);
        }

        metrics.ClaimDuration.Record(time.GetElapsedTime(started).TotalMilliseconds);
        return Result<LeaseGrant?>.Ok(grant);
    }

    public async Task<ImmutableArray<LeaseGrant>> GetActiveLeasesAsync()
    {
        await EnsureLeasesAsync();

        // An overdue lease is over even while its task has yet to record the expiry.
        var now = time.GetUtcNow();
        return _active.Values.Where(l => l.ExpiresAt > now).OrderBy(l => l.ExpiresAt).ToImmutableArray();
    }

    public async Task<Result<HeartbeatReceipt>> HeartbeatAsync(string leaseId, int? extendSeconds)
    {
        if (state.State.Blocked)
        {
            return Blocked<HeartbeatReceipt>();
        }

        var result = await OnLeaseAsync(leaseId, (task, lease) => task.HeartbeatAsync(lease, WorkerId, extendSeconds), keepsLease: true);
        if (result.IsSuccess && _active.TryGetValue(leaseId, out var grant))
        {
            _active[leaseId] = grant with { ExpiresAt = result.Value!.ExpiresAt };
        }

        return result;
    }

    public async Task<Result<SubmitReceipt>> SubmitAsync(string leaseId, string resultJson)
    {
        // Blocking ends the leases this worker is known to hold; one it still names (a claim whose answer was lost,
        // a release that failed at block time) must not be worked on either.
        if (state.State.Blocked)
        {
            return Blocked<SubmitReceipt>();
        }

        await EnsureTotalsAsync();
        Result<SubmitReceipt> result;
        try
        {
            result = await OnLeaseAsync(leaseId, (task, lease) => task.SubmitAsync(lease, WorkerId, resultJson));
        }
        catch (Exception e)
        {
            LogSubmitUnanswered(logger, e, WorkerId, leaseId);
            _totalsUnsure = true;
            throw;
        }

        // "Already submitted" may be an earlier attempt whose answer was lost (even by an activation of this worker
        // on a silo that died): the sums are read again rather than trusted.
        _totalsUnsure |= result.Error == ErrorKind.LeaseNotActive;
        if (result.Error == ErrorKind.LeaseNotActive)
        {
            await EvaluateExamAgainAsync(leaseId);
        }

        if (result.Value is { Review: true } verdict)
        {
            _totals = _totals.AddReviewReward(verdict.Reward);
        }
        else if (result.IsSuccess && await projects.GetAsync(result.Value!.ProjectId) is { } project)
        {
            var receipt = result.Value;
            _totals = _totals.Add(receipt.Correct, receipt.Reward, project.Settings.Requirements.Select(r => r.Skill), receipt.SubmissionState);
            if (receipt.Correct is not null)
            {
                await ApplyQualityRuleAsync(project);
                await ApplyExamAsync(project);
            }
        }

        return result;
    }

    public Task<Result<bool>> ReleaseAsync(string leaseId, string? reason) =>
        OnLeaseAsync(leaseId, (task, lease) => task.ReleaseAsync(lease, WorkerId, reason));

    /// <summary>
    /// A verdict changes the sums in ways a submit receipt cannot tell (which skills, which verdict), so they are read
    /// again: never counted twice whatever is retried. The task that tells may be waiting on a call of this very worker
    /// (two workers reviewing each other's work at once), so this call interleaves and only notes the news; the read
    /// and the quality rule run in a turn of their own, and every read of the totals before it reads them again.
    /// </summary>
    public Task SubmissionReviewedAsync(string projectId)
    {
        if (state.State.Exists)
        {
            _totalsUnsure = true;
            _reviewedProjects.Add(projectId);
            _reviewsTimer ??= this.RegisterGrainTimer(
                ApplyReviewsAsync, new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan });
        }

        return Task.CompletedTask;
    }

    private async Task ApplyReviewsAsync(CancellationToken cancellationToken)
    {
        _reviewsTimer?.Dispose();
        _reviewsTimer = null;
        await EnsureTotalsAsync();
        foreach (var projectId in _reviewedProjects.ToList())
        {
            _reviewedProjects.Remove(projectId);
            if (await projects.GetAsync(projectId) is { } project)
            {
                await ApplyQualityRuleAsync(project);
            }
        }
    }

    public Task LeaseGrantedAsync(LeaseGrant grant)
    {
        if (state.State.Exists && grant.ExpiresAt > time.GetUtcNow() && _endedDuringReread?.Contains(grant.LeaseId) != true)
        {
            _active[grant.LeaseId] = grant;
        }

        return Task.CompletedTask;
    }

    public Task LeaseEndedAsync(string leaseId)
    {
        _active.Remove(leaseId);
        _endedDuringReread?.Add(leaseId);
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
            task = GrainFactory.GetReference<ITaskGrain>(Keys.Task(location.ProjectId, location.TaskId));
        }
        else
        {
            return Result<T>.Fail(ErrorKind.NotFound, $"Lease '{leaseId}' does not exist for worker '{WorkerId}'.");
        }

        var result = await call(task, leaseId);
        // A refused body (a review lease's submit that is no verdict) leaves the lease as it was: still active.
        if (!(keepsLease && result.IsSuccess) && result.Error != ErrorKind.Validation)
        {
            _active.Remove(leaseId);
        }

        return result;
    }

    private async Task EnsureTotalsAsync()
    {
        if (_totalsUnsure)
        {
            // Cleared first: news of a verdict that arrives during the read marks the sums unsure again.
            _totalsUnsure = false;
            try
            {
                _totals = await taskStore.GetWorkerTotalsAsync(WorkerId);
            }
            catch
            {
                _totalsUnsure = true;
                throw;
            }
        }
    }

    /// <summary>Runs a claim, noting when it fails without an answer (see <see cref="_leasesUnsure"/>).</summary>
    private async Task<LeaseGrant?> WatchedAsync(Func<Task<LeaseGrant?>> claim)
    {
        try
        {
            return await claim();
        }
        catch (Exception e)
        {
            LogClaimUnanswered(logger, e, WorkerId);
            _leasesUnsure = true;
            throw;
        }
    }

    private async Task EnsureLeasesAsync()
    {
        if (!_leasesUnsure)
        {
            return;
        }

        _endedDuringReread = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var active in await taskStore.GetActiveLeasesAsync(WorkerId))
            {
                if (!_active.ContainsKey(active.Lease.LeaseId) && !_endedDuringReread.Contains(active.Lease.LeaseId))
                {
                    _active[active.Lease.LeaseId] = await ToGrantAsync(active);
                }
            }

            _leasesUnsure = false;
        }
        finally
        {
            _endedDuringReread = null;
        }
    }

    private async Task<LeaseGrant> ToGrantAsync(ActiveLeaseRecord active)
    {
        var settings = (await projects.GetAsync(active.ProjectId))?.Settings;
        return new LeaseGrant(
            active.Lease.LeaseId, active.ProjectId, active.TaskId, active.PayloadJson, settings?.Instructions, settings?.LabelConfig, active.Lease.ExpiresAt, active.ReviewResultJson);
    }

    private Result<T> Blocked<T>() => Result<T>.Fail(ErrorKind.WorkerBlocked, $"Worker '{WorkerId}' is blocked.");

    private void ForgetLeasesPastDeadline()
    {
        var cutoff = time.GetUtcNow() - ForgetAfterDeadline;
        foreach (var lease in _active.Values.Where(l => l.ExpiresAt < cutoff).ToList())
        {
            _active.Remove(lease.LeaseId);
        }
    }

    /// <summary>Suspends the skills the project's quality rule finds this worker no longer good enough at.</summary>
    private async Task ApplyQualityRuleAsync(ProjectInfo project)
    {
        var suspend = Qualification.SkillsToSuspend(project.Settings, _totals, state.State.Certifications);
        if (suspend.Count == 0)
        {
            return;
        }

        await ChangeAndAnnounceAsync(project, EventTypes.WorkerSuspended, now =>
        {
            foreach (var suspension in suspend)
            {
                state.State.Certifications[suspension.Skill] = state.State.Certifications[suspension.Skill] with { Suspended = true };
            }

            return [.. suspend.Select(s => WorkerEvent(project.Id, EventTypes.WorkerSuspended, now, s.Cause == SuspensionCause.Accuracy
                ? $$"""{"skill":{{Json(s.Skill)}},"goldenSeen":{{s.Score.Seen}},"accuracy":{{Share(s.Score.Accuracy)}}}"""
                : $$"""{"skill":{{Json(s.Skill)}},"reviewed":{{s.Score.Seen}},"acceptance":{{Share(s.Score.Accuracy)}}}"""))];
        });
        foreach (var (skill, cause, score) in suspend)
        {
            if (cause == SuspensionCause.Accuracy)
            {
                LogSuspended(logger, WorkerId, skill, score.Seen, score.Accuracy);
            }
            else
            {
                LogSuspendedForAcceptance(logger, WorkerId, skill, score.Seen, score.Accuracy);
            }
        }

        await EndLeasesNoLongerMetAsync();
    }

    /// <summary>When the worker has answered every task of an exam, grants its skill on a passing score.</summary>
    private async Task ApplyExamAsync(ProjectInfo project)
    {
        if (project.Settings.Exam is not { } exam)
        {
            return;
        }

        var progress = await taskStore.GetExamProgressAsync(project.Id, WorkerId);
        if (Qualification.ExamOutcome(exam, progress) is not { Passed: true } outcome)
        {
            return;
        }

        var held = state.State.Certifications.GetValueOrDefault(exam.Skill);
        var level = Math.Max(exam.Level, held?.Level ?? 0);
        await ChangeAndAnnounceAsync(project, EventTypes.WorkerCertified, now =>
        {
            state.State.Certifications[exam.Skill] = new Certification(exam.Skill, level, CertificationSource.Exam, now, Suspended: false);
            return [WorkerEvent(project.Id, EventTypes.WorkerCertified, now, $$"""{"skill":{{Json(exam.Skill)}},"level":{{level}},"score":{{Share(outcome.Score)}}}""")];
        });
        routing.Forget();
        LogPassedExam(logger, WorkerId, project.Id, exam.Skill, level, outcome.Score);
    }

    /// <summary>
    /// A repeated submit of a stored submission: the attempt that stored it may have failed before it evaluated the
    /// exam (the evaluation follows the submit's commit), so the evaluation runs again. It grants a skill the worker
    /// does not hold yet, so repeating it never raises, restores or announces anything twice.
    /// </summary>
    private async Task EvaluateExamAgainAsync(string leaseId)
    {
        if (await taskStore.FindLeaseAsync(leaseId) is { } location && location.WorkerId == WorkerId
            && await projects.GetAsync(location.ProjectId) is { Settings.Exam: { } exam } project
            && !state.State.Certifications.ContainsKey(exam.Skill))
        {
            await EnsureTotalsAsync();
            await ApplyExamAsync(project);
        }
    }

    /// <summary>Releases the active leases of projects whose requirements this worker no longer meets.</summary>
    private async Task EndLeasesNoLongerMetAsync()
    {
        foreach (var lease in _active.Values.ToList())
        {
            if (await projects.GetAsync(lease.ProjectId) is { } project && !(lease.IsReview ? MayReview(project) : Requirements.AreMet(project.Settings.Requirements, state.State.Certifications)))
            {
                LogLeaseEndedByRequirements(logger, WorkerId, lease.LeaseId, lease.ProjectId);
                await TaskOf(lease).ReleaseAsync(lease.LeaseId, WorkerId, "certification suspended");
                _active.Remove(lease.LeaseId);
            }
        }
    }

    /// <summary>Whether the project reviews by the crowd and this worker meets its review requirements.</summary>
    private bool MayReview(ProjectInfo project) =>
        project.Settings.Review is { Mode: ReviewMode.Crowd } review
        && Requirements.AreMet(Requirements.ForReview(review, project.Settings), state.State.Certifications);

    private DispatchEvent WorkerEvent(string projectId, string type, DateTimeOffset at, string dataJson) =>
        new(type, projectId, null, WorkerId, null, at, dataJson);

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static string Share(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private ITaskGrain TaskOf(LeaseGrant lease) => GrainFactory.GetReference<ITaskGrain>(Keys.Task(lease.ProjectId, lease.TaskId));

    private async Task<Result<WorkerView>> ChangeAsync(Action<WorkerState> change)
    {
        if (!state.State.Exists)
        {
            return Result<WorkerView>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
        }

        change(state.State);
        await state.WriteOrDeactivateAsync(this, logger);
        return Result<WorkerView>.Ok(View());
    }

    private WorkerView View() => new(
        WorkerId,
        state.State.DisplayName,
        state.State.MaxActiveLeases,
        state.State.Blocked,
        state.State.Certifications.Values.OrderBy(c => c.Skill, StringComparer.Ordinal).ToImmutableArray(),
        _active.Count,
        new WorkerStats(_totals.Submitted, _totals.Golden.Seen, _totals.Golden.Correct, _totals.Accepted, _totals.Rejected),
        LedgerBook.Earnings(checked(_totals.Earnings + _totals.ReviewRewards), _totals.Pending, _ledgerSums));
}
