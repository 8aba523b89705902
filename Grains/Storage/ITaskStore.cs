using Dispatch.Tasks;

namespace Dispatch.Grains.Storage;

/// <summary>
/// Where tasks, leases and submissions are kept. Tasks outnumber every other thing by far, so they live in
/// tables of their own (PostgreSQL) or an in-process store (memory mode) rather than one grain state each:
/// an import writes a batch in one transaction, and a queue shard loads its open tasks with one query.
/// </summary>
public interface ITaskStore
{
    /// <summary>
    /// Stores the tasks all or nothing. Ids already stored with an equal payload (as JSON, key order ignored)
    /// come back as existing; one stored with another payload stores nothing and names that id.
    /// </summary>
    Task<ImportOutcome> ImportAsync(string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now, CancellationToken cancellationToken = default);

    Task<StoredTask?> GetAsync(string projectId, string taskId, CancellationToken cancellationToken = default);

    /// <summary>The open tasks of one queue shard in claim order, and that shard's counts.</summary>
    Task<ShardSnapshot> LoadShardAsync(string projectId, int shard, CancellationToken cancellationToken = default);

    /// <summary>Throws when the store cannot be reached.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);
}

public sealed record TaskToStore(string TaskId, int Shard, string PayloadJson, int Priority, string? GoldenAnswerJson);

/// <param name="Created">False when the task was already stored with the same payload.</param>
public sealed record ImportedTask(string TaskId, int Shard, bool Created, TaskState State, int Priority, long Sequence);

/// <summary>Either every task, in request order, or the id whose stored payload differs.</summary>
public sealed record ImportOutcome(IReadOnlyList<ImportedTask> Tasks, string? ConflictingTaskId)
{
    public static ImportOutcome Conflict(string taskId) => new([], taskId);
}

public sealed record StoredTask(TaskView View, int Shard, string? GoldenAnswerJson);

public sealed record ShardSnapshot(IReadOnlyList<QueuedTask> Open, Dispatch.Projects.ProjectCounts Counts);
