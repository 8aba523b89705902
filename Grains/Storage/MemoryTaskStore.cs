using System.Collections.Concurrent;
using System.Collections.Immutable;
using Dispatch.Grains.Tasks;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Storage;

/// <summary>
/// The embedded store: tasks in process memory, one lock per project. It holds for the life of the process,
/// like Orleans' memory grain storage beside it; use PostgreSQL for anything that must survive a restart.
/// </summary>
public sealed class MemoryTaskStore : ITaskStore
{
    private readonly ConcurrentDictionary<string, ProjectTasks> _projects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LeaseLocation> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WorkerLedger> _workers = new(StringComparer.Ordinal);
    private long _lastSequence;
    private long _lastCompletion;

    public Task<ImportOutcome> ImportAsync(string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var project = _projects.GetOrAdd(projectId, _ => new ProjectTasks());
        lock (project)
        {
            foreach (var task in tasks)
            {
                if (project.Tasks.TryGetValue(task.TaskId, out var stored) && !JsonValues.Equivalent(stored.Record.PayloadJson, task.PayloadJson))
                {
                    return Task.FromResult(ImportOutcome.Conflict(task.TaskId));
                }
            }

            var imported = new List<ImportedTask>(tasks.Count);
            foreach (var task in tasks)
            {
                if (project.Tasks.TryGetValue(task.TaskId, out var stored))
                {
                    imported.Add(new ImportedTask(task.TaskId, stored.Record.Shard, false, stored.Record.State, stored.Record.Priority, stored.Record.Sequence));
                    continue;
                }

                var record = new TaskRecord(task.TaskId, task.Shard, 1, TaskState.Open, task.Priority, Interlocked.Increment(ref _lastSequence), task.PayloadJson, task.GoldenAnswerJson, 0, [], []);
                project.Tasks.Add(task.TaskId, new StoredTask(record));
                imported.Add(new ImportedTask(task.TaskId, task.Shard, true, TaskState.Open, record.Priority, record.Sequence));
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
            return Task.FromResult(project.Tasks.TryGetValue(taskId, out var stored) ? stored.Record : null);
        }
    }

    public Task<long> SaveAsync(string projectId, string taskId, long expectedVersion, TaskChange change, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            throw new TaskVersionConflictException(projectId, taskId);
        }

        lock (project)
        {
            if (!project.Tasks.TryGetValue(taskId, out var stored) || stored.Record.Version != expectedVersion)
            {
                throw new TaskVersionConflictException(projectId, taskId);
            }

            var leases = stored.Record.Leases;
            if (change.NewLease is { } added)
            {
                leases = leases.Add(added);
                _leases[added.LeaseId] = new LeaseLocation(projectId, taskId, added.WorkerId);
                Ledger(added.WorkerId).Active[added.LeaseId] = (projectId, taskId);
            }

            foreach (var updated in change.UpdatedLeases)
            {
                leases = leases.Replace(leases.First(l => l.LeaseId == updated.LeaseId), updated);
                if (updated.State != LeaseState.Active)
                {
                    Ledger(updated.WorkerId).Active.TryRemove(updated.LeaseId, out _);
                }
            }

            var submissions = stored.Record.Submissions;
            if (change.NewSubmission is { } submission)
            {
                submissions = submissions.Add(submission);
                Ledger(submission.WorkerId).Add(submission);
                project.Submitted(submission);
            }

            if (change.Completes)
            {
                // Completion order and completion times agree, as they do in PostgreSQL.
                stored.CompletedAt = project.LastCompletedAt = now > project.LastCompletedAt ? now : project.LastCompletedAt;
                stored.CompletionSequence = Interlocked.Increment(ref _lastCompletion);
                project.Completed.Add(taskId);
            }

            stored.Record = stored.Record with
            {
                Version = expectedVersion + 1,
                State = change.State,
                FailedAttempts = change.FailedAttempts,
                Leases = leases,
                Submissions = submissions,
            };
            return Task.FromResult(expectedVersion + 1);
        }
    }

    public Task<ShardSnapshot> LoadShardAsync(string projectId, int shard, int? overlap, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult(new ShardSnapshot([], ProjectCounts.Zero));
        }

        lock (project)
        {
            var tasks = new List<TaskSnapshot>();
            var counts = ProjectCounts.Zero;
            foreach (var stored in project.Tasks.Values)
            {
                var record = stored.Record;
                if (record.Shard != shard)
                {
                    continue;
                }

                var snapshot = TaskSnapshots.Of(record, overlap);
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
                && task.Leases.FirstOrDefault(l => l.LeaseId == leaseId) is { State: LeaseState.Active } lease)
            {
                active.Add(new ActiveLeaseRecord(projectId, taskId, lease, task.PayloadJson));
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

    public Task<IReadOnlyList<TaskRecord>> ListAsync(string projectId, TaskState? state, string? afterTaskId, int limit, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult<IReadOnlyList<TaskRecord>>([]);
        }

        lock (project)
        {
            IReadOnlyList<TaskRecord> page = project.Tasks.Values
                .Select(s => s.Record)
                .Where(r => (state is null || r.State == state) && (afterTaskId is null || string.CompareOrdinal(r.TaskId, afterTaskId) > 0))
                .OrderBy(r => r.TaskId, StringComparer.Ordinal)
                .Take(limit)
                .ToList();
            return Task.FromResult(page);
        }
    }

    public Task<IReadOnlyList<CompletedTaskRecord>> ListCompletedAsync(string projectId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult<IReadOnlyList<CompletedTaskRecord>>([]);
        }

        lock (project)
        {
            // Completion sequences are increasing along the list, so the cursor is found by binary search: O(log n + limit).
            var start = LowerBound(project, afterSequence);
            IReadOnlyList<CompletedTaskRecord> page = project.Completed
                .Skip(start)
                .Take(limit)
                .Select(id => project.Tasks[id])
                .Select(s => new CompletedTaskRecord(s.Record.TaskId, s.Record.PayloadJson, s.Record.Submissions, s.CompletedAt, s.CompletionSequence))
                .ToList();
            return Task.FromResult(page);
        }
    }

    public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private static int LowerBound(ProjectTasks project, long afterSequence)
    {
        int low = 0, high = project.Completed.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (project.Tasks[project.Completed[middle]].CompletionSequence <= afterSequence)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private WorkerLedger Ledger(string workerId) => _workers.GetOrAdd(workerId, _ => new WorkerLedger());

    private sealed class ProjectTasks
    {
        public Dictionary<string, StoredTask> Tasks { get; } = new(StringComparer.Ordinal);

        /// <summary>Task ids in completion order.</summary>
        public List<string> Completed { get; } = [];

        public DateTimeOffset LastCompletedAt { get; set; }

        /// <summary>Submissions and correct golden answers per worker.</summary>
        public Dictionary<string, (long Submitted, long Correct)> ByWorker { get; } = new(StringComparer.Ordinal);

        public void Submitted(SubmissionRecord submission)
        {
            var (submitted, correct) = ByWorker.GetValueOrDefault(submission.WorkerId);
            ByWorker[submission.WorkerId] = (submitted + 1, correct + (submission.Correct == true ? 1 : 0));
        }
    }

    private sealed class StoredTask(TaskRecord record)
    {
        public TaskRecord Record { get; set; } = record;
        public DateTimeOffset CompletedAt { get; set; }
        public long CompletionSequence { get; set; }
    }

    private sealed class WorkerLedger
    {
        public ConcurrentDictionary<string, (string ProjectId, string TaskId)> Active { get; } = new(StringComparer.Ordinal);

        public WorkerTotals Totals { get; private set; } = WorkerTotals.Zero;

        public void Add(SubmissionRecord submission)
        {
            lock (this)
            {
                Totals = Totals.Add(submission.Correct, submission.Reward, submission.Skills);
            }
        }
    }

    public bool ReadsCostARoundTrip => false;

    public async Task<IReadOnlyDictionary<string, TaskSeed>> GetSeedsAsync(string projectId, IReadOnlyList<string> taskIds, CancellationToken cancellationToken = default)
    {
        var seeds = new Dictionary<string, TaskSeed>(StringComparer.Ordinal);
        foreach (var taskId in taskIds)
        {
            if (await GetAsync(projectId, taskId, cancellationToken) is { State: TaskState.Open, Leases.IsEmpty: true } task)
            {
                seeds[taskId] = new TaskSeed(task.Version, task.Shard, task.Priority, task.Sequence, task.PayloadJson, task.GoldenAnswerJson);
            }
        }

        return seeds;
    }
}
