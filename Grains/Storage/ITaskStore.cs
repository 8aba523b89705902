using Dispatch.Common;
using Dispatch.Grains.Webhooks;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Storage;

/// <summary>
/// Where tasks, leases and submissions are kept. Tasks outnumber every other thing by far, so they live in
/// tables of their own (PostgreSQL) or an in-process store (memory mode) rather than one grain state each:
/// an import writes a batch in one transaction, a task transition writes one small change, and a queue shard
/// loads what it needs with one query.
/// </summary>
public interface ITaskStore
{
    /// <summary>
    /// Stores the tasks all or nothing. Ids already stored with an equal payload (as JSON, key order ignored)
    /// come back as existing; one stored with another payload stores nothing and names that id.
    /// </summary>
    /// <param name="outboxOfCreated">
    /// Given how many tasks the import creates (called only when some are), the webhook deliveries to store atomically
    /// with them; none when null.
    /// </param>
    Task<ImportOutcome> ImportAsync(
        string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now,
        Func<int, IReadOnlyList<WebhookOutboxEntry>>? outboxOfCreated = null, CancellationToken cancellationToken = default);

    Task<TaskRecord?> GetAsync(string projectId, string taskId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes one transition atomically if the task is still at <paramref name="expectedVersion"/>, and returns the
    /// new version. Throws <see cref="TaskVersionConflictException"/> otherwise.
    /// </summary>
    /// <param name="outbox">Webhook deliveries of the change's events, stored atomically with it (none when null).</param>
    Task<long> SaveAsync(string projectId, string taskId, long expectedVersion, TaskChange change, DateTimeOffset now, IReadOnlyList<WebhookOutboxEntry>? outbox = null, CancellationToken cancellationToken = default);

    /// <summary>True when every read is a round trip to a server, so that reading tasks a page at a time pays off.</summary>
    bool ReadsCostARoundTrip { get; }

    /// <summary>Seeds of those of the tasks that are open and were never leased; the others are left out.</summary>
    Task<IReadOnlyDictionary<string, TaskSeed>> GetSeedsAsync(string projectId, IReadOnlyList<string> taskIds, CancellationToken cancellationToken = default);

    /// <param name="overlap">Slots per task; null when unlimited (exam projects).</param>
    /// <param name="dynamicOverlap">Whether the project has dynamic overlap (see <see cref="Tasks.TaskSnapshots.Slots"/>).</param>
    Task<ShardSnapshot> LoadShardAsync(string projectId, int shard, int? overlap, bool dynamicOverlap = false, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ActiveLeaseRecord>> GetActiveLeasesAsync(string workerId, CancellationToken cancellationToken = default);

    Task<WorkerTotals> GetWorkerTotalsAsync(string workerId, CancellationToken cancellationToken = default);

    /// <summary>How many tasks the project has, and how many of them the worker submitted and answered right.</summary>
    Task<ExamProgress> GetExamProgressAsync(string projectId, string workerId, CancellationToken cancellationToken = default);

    /// <summary>The task a lease belongs to, whatever its state; null for an unknown lease.</summary>
    Task<LeaseLocation?> FindLeaseAsync(string leaseId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tasks (in <paramref name="state"/>, or all when null) ordered by id, after <paramref name="afterTaskId"/>: at most
    /// <paramref name="limit"/>, and no more than <paramref name="maxBytes"/> of payloads and submission results (see
    /// <see cref="PageBytes"/>) unless the first task alone has more.
    /// </summary>
    Task<ListPage<TaskRecord>> ListAsync(string projectId, TaskState? state, string? afterTaskId, int limit, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// The project's submissions in <paramref name="state"/>, oldest first (submission time, then task id, then worker
    /// id), after <paramref name="after"/>; bounded by count and bytes of results as <see cref="ListAsync"/> is.
    /// </summary>
    Task<ListPage<(string TaskId, SubmissionRecord Submission)>> ListSubmissionsAsync(
        string projectId, SubmissionState state, SubmissionCursor? after, int limit, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completed tasks in completion order after <paramref name="after"/> (from the start when null), with their
    /// accepted submissions; bounded by count and bytes as <see cref="ListAsync"/> is. A completion stored later never
    /// sorts before a cursor handed out earlier.
    /// </summary>
    Task<ListPage<CompletedTaskRecord>> ListCompletedAsync(string projectId, CompletionCursor? after, int limit, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>The completion that an old results cursor (a completion number) names in the project, or null.</summary>
    Task<CompletionCursor?> FindCompletionAsync(string projectId, long completionNumber, CancellationToken cancellationToken = default);

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

/// <summary>The order of a project's submission listing.</summary>
public static class SubmissionOrder
{
    public static int Compare(DateTimeOffset submittedAt, string taskId, string workerId, SubmissionCursor cursor)
    {
        var byTime = submittedAt.CompareTo(cursor.SubmittedAt);
        if (byTime != 0)
        {
            return byTime;
        }

        var byTask = string.CompareOrdinal(taskId, cursor.TaskId);
        return byTask != 0 ? byTask : string.CompareOrdinal(workerId, cursor.WorkerId);
    }
}

public sealed record LeaseLocation(string ProjectId, string TaskId, string WorkerId);
