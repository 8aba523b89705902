using System.Collections.Concurrent;
using System.Collections.Immutable;
using Dispatch.Projects;
using Dispatch.Tasks;

namespace Dispatch.Grains.Storage;

/// <summary>
/// The embedded store: tasks in process memory, one lock per project. It holds for the life of the process,
/// like Orleans' memory grain storage beside it; use PostgreSQL for anything that must survive a restart.
/// </summary>
public sealed class MemoryTaskStore : ITaskStore
{
    private readonly ConcurrentDictionary<string, ProjectTasks> _projects = new(StringComparer.Ordinal);

    public Task<ImportOutcome> ImportAsync(string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var project = _projects.GetOrAdd(projectId, _ => new ProjectTasks());
        lock (project)
        {
            foreach (var task in tasks)
            {
                if (project.Tasks.TryGetValue(task.TaskId, out var stored) && !JsonValues.Equivalent(stored.PayloadJson, task.PayloadJson))
                {
                    return Task.FromResult(ImportOutcome.Conflict(task.TaskId));
                }
            }

            var imported = new List<ImportedTask>(tasks.Count);
            foreach (var task in tasks)
            {
                if (project.Tasks.TryGetValue(task.TaskId, out var stored))
                {
                    imported.Add(new ImportedTask(stored.TaskId, stored.Shard, false, stored.State, stored.Priority, stored.Sequence));
                    continue;
                }

                var row = new TaskRow(task.TaskId, task.Shard, task.PayloadJson, task.Priority, task.GoldenAnswerJson, ++project.LastSequence, now);
                project.Tasks.Add(row.TaskId, row);
                imported.Add(new ImportedTask(row.TaskId, row.Shard, true, row.State, row.Priority, row.Sequence));
            }

            return Task.FromResult(new ImportOutcome(imported, null));
        }
    }

    public Task<StoredTask?> GetAsync(string projectId, string taskId, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult<StoredTask?>(null);
        }

        lock (project)
        {
            return Task.FromResult(project.Tasks.TryGetValue(taskId, out var row) ? row.ToStoredTask() : null);
        }
    }

    public Task<ShardSnapshot> LoadShardAsync(string projectId, int shard, CancellationToken cancellationToken = default)
    {
        if (!_projects.TryGetValue(projectId, out var project))
        {
            return Task.FromResult(new ShardSnapshot([], ProjectCounts.Zero));
        }

        lock (project)
        {
            var open = new List<QueuedTask>();
            long completed = 0, deadLettered = 0;
            foreach (var row in project.Tasks.Values)
            {
                if (row.Shard != shard)
                {
                    continue;
                }

                switch (row.State)
                {
                    case TaskState.Open:
                        open.Add(new QueuedTask(row.TaskId, row.Priority, row.Sequence));
                        break;
                    case TaskState.Completed:
                        completed++;
                        break;
                    case TaskState.DeadLettered:
                        deadLettered++;
                        break;
                }
            }

            return Task.FromResult(new ShardSnapshot(open, new ProjectCounts(open.Count, completed, deadLettered, 0, 0)));
        }
    }

    public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private sealed class ProjectTasks
    {
        public Dictionary<string, TaskRow> Tasks { get; } = new(StringComparer.Ordinal);

        public long LastSequence { get; set; }
    }

    private sealed class TaskRow(string taskId, int shard, string payloadJson, int priority, string? goldenAnswerJson, long sequence, DateTimeOffset createdAt)
    {
        public string TaskId { get; } = taskId;
        public int Shard { get; } = shard;
        public string PayloadJson { get; } = payloadJson;
        public int Priority { get; } = priority;
        public string? GoldenAnswerJson { get; } = goldenAnswerJson;
        public long Sequence { get; } = sequence;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public TaskState State { get; set; } = TaskState.Open;
        public int FailedAttempts { get; set; }

        public StoredTask ToStoredTask() => new(
            new TaskView(TaskId, State, PayloadJson, Priority, FailedAttempts, ImmutableArray<LeaseView>.Empty, ImmutableArray<SubmissionView>.Empty),
            Shard,
            GoldenAnswerJson);
    }
}
