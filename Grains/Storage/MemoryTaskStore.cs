using System.Collections.Concurrent;
using Dispatch.Common;
using Dispatch.Grains.Money;
using Dispatch.Grains.Tasks;
using Dispatch.Grains.Webhooks;
using Dispatch.Money;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Storage;

/// <summary>
/// The embedded store: tasks in process memory, one lock per project. It holds for the life of the process,
/// like Orleans' memory grain storage beside it; use PostgreSQL for anything that must survive a restart.
/// A project of a million queued tasks has to fit on one machine, so each task is kept compact (see
/// <see cref="TaskTable"/> and <see cref="TaskTextArena"/>) and becomes a <see cref="TaskRecord"/> only when read.
/// </summary>
public sealed class MemoryTaskStore : ITaskStore
{
    private readonly ConcurrentDictionary<string, ProjectTasks> _projects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LeaseLocation> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WorkerLedger> _workers = new(StringComparer.Ordinal);
    private long _lastSequence;

    /// <summary>The webhook deliveries of stored changes, added under the same lock as the change itself.</summary>
    public MemoryWebhookOutbox Outbox { get; } = new();

    public Task<ImportOutcome> ImportAsync(
        string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now,
        Func<int, IReadOnlyList<WebhookOutboxEntry>>? outboxOfCreated = null, CancellationToken cancellationToken = default)
    {
        var project = _projects.GetOrAdd(projectId, _ => new ProjectTasks());
        lock (project)
        {
            foreach (var task in tasks)
            {
                var number = project.Tasks.Find(task.TaskId);
                if (number >= 0 && !JsonValues.Equivalent(project.Payload(number), task.PayloadJson))
                {
                    return Task.FromResult(ImportOutcome.Conflict(task.TaskId));
                }
            }

            var imported = new List<ImportedTask>(tasks.Count);
            foreach (var task in tasks)
            {
                var number = project.Tasks.Find(task.TaskId);
                if (number >= 0)
                {
                    ref var stored = ref project.Tasks[number];
                    imported.Add(new ImportedTask(task.TaskId, stored.Shard, false, stored.State, stored.Priority, stored.Sequence));
                    continue;
                }

                var texts = project.Texts.Add(task.PayloadJson, task.GoldenAnswerJson);
                ref var slot = ref project.Tasks.Add(task.TaskId);
                slot.Shard = task.Shard;
                slot.Priority = task.Priority;
                slot.Sequence = Interlocked.Increment(ref _lastSequence);
                slot.Texts = texts;
                imported.Add(new ImportedTask(task.TaskId, task.Shard, true, TaskState.Open, slot.Priority, slot.Sequence));
            }

            if (outboxOfCreated is not null && imported.Count(t => t.Created) is > 0 and var created)
            {
                Outbox.Add(outboxOfCreated(created));
            }

            return Task.FromResult(new ImportOutcome(imported, null));
        }
    }

    public Task<TaskRecord?> GetAsync(string projectId, string taskId, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult<TaskRecord?>(null);
        }

        lock (project)
        {
            var number = project.Tasks.Find(taskId);
            return Task.FromResult(number >= 0 ? project.Record(number) : null);
        }
    }

    public Task<long> SaveAsync(string projectId, string taskId, long expectedVersion, TaskChange change, DateTimeOffset now, IReadOnlyList<WebhookOutboxEntry>? outbox = null, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            throw new TaskVersionConflictException(projectId, taskId);
        }

        lock (project)
        {
            var number = project.Tasks.Find(taskId);
            if (number < 0 || project.Tasks[number].Version != expectedVersion)
            {
                throw new TaskVersionConflictException(projectId, taskId);
            }

            ref var stored = ref project.Tasks[number];
            var activity = stored.Activity;
            var leases = activity?.Leases ?? [];
            if (change.NewLease is { } added)
            {
                leases = leases.Add(added);
                _leases[added.LeaseId] = new LeaseLocation(projectId, taskId, added.WorkerId);
                Ledger(added.WorkerId).Active[added.LeaseId] = (projectId, taskId);
            }

            foreach (var updated in change.UpdatedLeases)
            {
                leases = leases.Replace(updated);
                if (updated.State != LeaseState.Active)
                {
                    Ledger(updated.WorkerId).Active.TryRemove(updated.LeaseId, out _);
                }
            }

            var submissions = activity?.Submissions ?? [];
            if (change.NewSubmission is { } submission)
            {
                submissions = submissions.Add(submission);
                Ledger(submission.WorkerId).Add(projectId, taskId, submission);
                project.Submitted(submission);
            }

            if (change.DecidedSubmission is { } decided)
            {
                submissions = submissions.Replace(decided);
                Ledger(decided.WorkerId).Reviewed(projectId, taskId, decided);
                if (decided.Review?.ReviewerId is { } reviewerId && decided.Review.By == ReviewerKind.Crowd)
                {
                    Ledger(reviewerId).GaveVerdict(projectId, taskId, decided);
                }
            }

            var completedAt = activity?.CompletedAt ?? default;
            if (change.Completes)
            {
                // Completion order and completion times agree, as they do in PostgreSQL; the results export relies on it.
                completedAt = project.LastCompletedAt = now > project.LastCompletedAt ? now : project.LastCompletedAt;
                project.Completed.Add(number);
            }

            stored.Activity = new TaskActivity(expectedVersion + 1, change.State, change.FailedAttempts, leases, submissions, completedAt);
            if (outbox is { Count: > 0 })
            {
                Outbox.Add(outbox);
            }

            return Task.FromResult(expectedVersion + 1);
        }
    }

    public Task<ShardSnapshot> LoadShardAsync(string projectId, int shard, int? overlap, bool dynamicOverlap = false, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult(new ShardSnapshot([], ProjectCounts.Zero));
        }

        lock (project)
        {
            var tasks = new List<TaskSnapshot>();
            var counts = ProjectCounts.Zero;
            for (var number = 0; number < project.Tasks.Count; number++)
            {
                if (project.Tasks[number].Shard != shard)
                {
                    continue;
                }

                // A snapshot reads no texts: decoding every payload of the shard for it would only make garbage.
                var record = project.Record(number, withTexts: false);
                var snapshot = TaskSnapshots.Of(record, overlap, dynamicOverlap);
                counts = counts.Add(new ProjectCounts(
                    record.State == TaskState.Open ? 1 : 0,
                    record.State == TaskState.Completed ? 1 : 0,
                    record.State == TaskState.DeadLettered ? 1 : 0,
                    snapshot.ActiveLeases,
                    snapshot.Submissions));
                if (record.State != TaskState.Completed)
                {
                    tasks.Add(snapshot);
                }
            }

            return Task.FromResult(new ShardSnapshot(tasks, counts));
        }
    }

    public async Task<IReadOnlyList<ActiveLeaseRecord>> GetActiveLeasesAsync(string workerId, CancellationToken cancellationToken = default)
    {
        var active = new List<ActiveLeaseRecord>();
        foreach (var (leaseId, (projectId, taskId)) in Ledger(workerId).Active)
        {
            if (await GetAsync(projectId, taskId, cancellationToken) is { } task
                && task.Leases.Find(leaseId) is { State: LeaseState.Active } lease)
            {
                var underReview = lease.ReviewOf is { } submitter ? task.Submissions.Of(submitter)!.ResultJson : null;
                active.Add(new ActiveLeaseRecord(projectId, taskId, lease, task.PayloadJson, underReview));
            }
        }

        return active;
    }

    public Task<WorkerTotals> GetWorkerTotalsAsync(string workerId, CancellationToken cancellationToken = default)
    {
        var ledger = Ledger(workerId);
        lock (ledger)
        {
            return Task.FromResult(ledger.Totals);
        }
    }

    public Task<ExamProgress> GetExamProgressAsync(string projectId, string workerId, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult(new ExamProgress(0, 0, 0));
        }

        lock (project)
        {
            var (submitted, correct) = project.ByWorker.GetValueOrDefault(workerId);
            return Task.FromResult(new ExamProgress(submitted, correct, project.Tasks.Count));
        }
    }

    public Task<LeaseLocation?> FindLeaseAsync(string leaseId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_leases.TryGetValue(leaseId, out var location) ? location : null);

    public Task<ListPage<TaskRecord>> ListAsync(string projectId, TaskState? state, string? afterTaskId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult(ListPage<TaskRecord>.Empty);
        }

        lock (project)
        {
            var tasks = project.Tasks;
            var ordered = Enumerable.Range(0, tasks.Count)
                .Where(n => (state is null || tasks[n].State == state) && (afterTaskId is null || string.CompareOrdinal(tasks[n].TaskId, afterTaskId) > 0))
                .OrderBy(n => tasks[n].TaskId, StringComparer.Ordinal)
                .Select(n => project.Record(n));
            return Task.FromResult(PageBytes.Take(ordered, limit, maxBytes, PageBytes.Of));
        }
    }

    public Task<ListPage<CompletedTaskRecord>> ListCompletedAsync(string projectId, CompletionCursor? after, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult(ListPage<CompletedTaskRecord>.Empty);
        }

        lock (project)
        {
            var ordered = project.Completed.Skip(Start(project, after)).Select(number => project.Completion(number));
            return Task.FromResult(PageBytes.Take(ordered, limit, maxBytes, PageBytes.Of));
        }
    }

    /// <summary>Memory mode starts empty after every restart, so no completion of it ever had an old-form cursor.</summary>
    public Task<CompletionCursor?> FindCompletionAsync(string projectId, long completionNumber, CancellationToken cancellationToken = default) =>
        Task.FromResult<CompletionCursor?>(null);

    /// <summary>Reads every submission of the project: memory mode keeps no index of them by state and time.</summary>
    public Task<ListPage<(string TaskId, SubmissionRecord Submission)>> ListSubmissionsAsync(
        string projectId, SubmissionState state, SubmissionCursor? after, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult(ListPage<(string, SubmissionRecord)>.Empty);
        }

        lock (project)
        {
            var tasks = project.Tasks;
            var ordered = Enumerable.Range(0, tasks.Count)
                .Where(n => tasks[n].Activity is not null)
                .SelectMany(n => tasks[n].Activity!.Submissions.Select(s => (TaskId: tasks[n].TaskId, Submission: s)))
                .Where(x => x.Submission.State == state && (after is null || SubmissionOrder.Compare(x.Submission.SubmittedAt, x.TaskId, x.Submission.WorkerId, after) > 0))
                .OrderBy(x => x.Submission.SubmittedAt).ThenBy(x => x.TaskId, StringComparer.Ordinal).ThenBy(x => x.Submission.WorkerId, StringComparer.Ordinal)
                .Select(x => (x.TaskId, x.Submission));
            return Task.FromResult(PageBytes.Take(ordered, limit, maxBytes, x => PageBytes.Of(x.Submission)));
        }
    }

    public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>
    /// Where the export goes on after the cursor: completion times only grow along the list (see
    /// <see cref="SaveAsync"/>), so the cursor's time is found by binary search and its task among the few completions
    /// of that very instant: O(log n + limit).
    /// </summary>
    private static int Start(ProjectTasks project, CompletionCursor? after)
    {
        if (after is null)
        {
            return 0;
        }

        int low = 0, high = project.Completed.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (project.Tasks[project.Completed[middle]].Activity!.CompletedAt < after.CompletedAt)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        for (var i = low; i < project.Completed.Count; i++)
        {
            ref var slot = ref project.Tasks[project.Completed[i]];
            if (slot.Activity!.CompletedAt != after.CompletedAt)
            {
                break;
            }

            if (string.Equals(slot.TaskId, after.TaskId, StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        // A cursor the store never handed out: go on from its time.
        return low;
    }

    private WorkerLedger Ledger(string workerId) => _workers.GetOrAdd(workerId, _ => new WorkerLedger());

    /// <summary>
    /// The reward entries of the worker's accepted submissions, in the order they were stored. Every submission is
    /// accepted the moment it is stored today, at its submission time.
    /// </summary>
    internal IReadOnlyList<LedgerRecord> AcceptedRewards(string workerId)
    {
        var ledger = Ledger(workerId);
        lock (ledger)
        {
            return [.. ledger.Rewards];
        }
    }

    internal bool HasSubmission(string projectId, string workerId)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return false;
        }

        lock (project)
        {
            return project.ByWorker.ContainsKey(workerId);
        }
    }

    private sealed class ProjectTasks
    {
        public TaskTable Tasks { get; } = new();

        public TaskTextArena Texts { get; } = new();

        /// <summary>Slot numbers of the completed tasks, in completion order.</summary>
        public List<int> Completed { get; } = [];

        public DateTimeOffset LastCompletedAt { get; set; }

        /// <summary>Submissions and correct golden answers per worker.</summary>
        public Dictionary<string, (long Submitted, long Correct)> ByWorker { get; } = new(StringComparer.Ordinal);

        public void Submitted(SubmissionRecord submission)
        {
            var (submitted, correct) = ByWorker.GetValueOrDefault(submission.WorkerId);
            ByWorker[submission.WorkerId] = (submitted + 1, correct + (submission.Correct == true ? 1 : 0));
        }

        public string Payload(int number) => Texts.Payload(Tasks[number].Texts);

        /// <param name="withTexts">False for a record whose payload and golden answer nobody reads (left empty).</param>
        public TaskRecord Record(int number, bool withTexts = true)
        {
            ref var slot = ref Tasks[number];
            return new TaskRecord(
                slot.TaskId,
                slot.Shard,
                slot.Version,
                slot.State,
                slot.Priority,
                slot.Sequence,
                withTexts ? Texts.Payload(slot.Texts) : "",
                withTexts ? Texts.Golden(slot.Texts) : null,
                slot.FailedAttempts,
                slot.Activity?.Leases ?? [],
                slot.Activity?.Submissions ?? []);
        }

        public CompletedTaskRecord Completion(int number)
        {
            ref var slot = ref Tasks[number];
            var activity = slot.Activity!;
            return new CompletedTaskRecord(
                slot.TaskId, Texts.Payload(slot.Texts), [.. activity.Submissions.Where(s => s.State == SubmissionState.Accepted)], activity.CompletedAt);
        }
    }

    private sealed class WorkerLedger
    {
        public ConcurrentDictionary<string, (string ProjectId, string TaskId)> Active { get; } = new(StringComparer.Ordinal);

        public WorkerTotals Totals { get; private set; } = WorkerTotals.Zero;

        /// <summary>Ledger entries of the rewards; the submission (lease) id names each, so none is entered twice.</summary>
        public List<LedgerRecord> Rewards { get; } = [];

        public void Add(string projectId, string taskId, SubmissionRecord submission)
        {
            lock (this)
            {
                Totals = Totals.Add(submission.Correct, submission.Reward, submission.Skills, submission.State);
                if (submission.State == SubmissionState.Accepted)
                {
                    EnterReward(projectId, taskId, submission);
                }
            }
        }

        public void Reviewed(string projectId, string taskId, SubmissionRecord decided)
        {
            lock (this)
            {
                Totals = Totals.Reviewed(decided.State, decided.Reward, decided.Skills);
                if (decided.State == SubmissionState.Accepted)
                {
                    EnterReward(projectId, taskId, decided);
                }
            }
        }

        /// <summary>A crowd reviewer's verdict is paid when stored; the reviewed submission's lease id names the entry.</summary>
        public void GaveVerdict(string projectId, string taskId, SubmissionRecord decided)
        {
            lock (this)
            {
                if (decided.ReviewReward != 0)
                {
                    Totals = Totals.AddReviewReward(decided.ReviewReward);
                    Rewards.Add(new LedgerRecord(decided.LeaseId, LedgerEntryKind.ReviewReward, decided.ReviewReward, projectId, taskId, null, decided.DecidedAt!.Value));
                }
            }
        }

        // A reward is entered when its submission is accepted, at that moment; the lease id names it, so once only.
        private void EnterReward(string projectId, string taskId, SubmissionRecord accepted)
        {
            if (accepted.Reward != 0)
            {
                Rewards.Add(new LedgerRecord(accepted.LeaseId, LedgerEntryKind.Reward, accepted.Reward, projectId, taskId, null, accepted.DecidedAt ?? accepted.SubmittedAt));
            }
        }
    }

    public bool ReadsCostARoundTrip => false;

    public async Task<IReadOnlyDictionary<string, TaskSeed>> GetSeedsAsync(string projectId, IReadOnlyList<string> taskIds, CancellationToken cancellationToken = default)
    {
        var seeds = new Dictionary<string, TaskSeed>(StringComparer.Ordinal);
        foreach (var taskId in taskIds)
        {
            if (await GetAsync(projectId, taskId, cancellationToken) is { State: TaskState.Open, Leases.Count: 0 } task)
            {
                seeds[taskId] = new TaskSeed(task.Version, task.Shard, task.Priority, task.Sequence, task.PayloadJson, task.GoldenAnswerJson);
            }
        }

        return seeds;
    }
}
