using Dispatch.Grains.Webhooks;
using System.Collections.Immutable;
using System.Diagnostics;
using Dispatch.Common;
using Dispatch.Grains.Tasks;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Grains.Storage;

/// <summary>The production store: Dispatch's own tables on PostgreSQL (see Postgres/Migrations).</summary>
public sealed class PostgresTaskStore(NpgsqlDataSource dataSource, PostgresTaskWriter writes) : ITaskStore
{
    /// <summary>
    /// Copies the rows straight in, and compares payloads only for the ids that were there already (usually none)
    /// in a second try that a conflict rolls back: see <see cref="PostgresTaskImport"/>.
    /// </summary>
    public Task<ImportOutcome> ImportAsync(
        string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now,
        Func<int, IReadOnlyList<WebhookOutboxEntry>>? outboxOfCreated = null, CancellationToken cancellationToken = default) =>
        PostgresTaskImport.ImportAsync(dataSource, projectId, tasks, now, outboxOfCreated, cancellationToken);

    public async Task<TaskRecord?> GetAsync(string projectId, string taskId, CancellationToken cancellationToken = default)
    {
        var page = await ReadTasksAsync(PostgresTaskSql.GetTask, projectId, p => p.AddWithValue("task", taskId), cancellationToken);
        return page.Count == 0 ? null : page[0];
    }

    public async Task<long> SaveAsync(string projectId, string taskId, long expectedVersion, TaskChange change, DateTimeOffset now, IReadOnlyList<WebhookOutboxEntry>? outbox = null, CancellationToken cancellationToken = default) =>
        await writes.WriteAsync(new TaskWrite(projectId, taskId, expectedVersion, change, outbox)) ?? throw new TaskVersionConflictException(projectId, taskId);

    public bool ReadsCostARoundTrip => true;

    public async Task<IReadOnlyDictionary<string, TaskSeed>> GetSeedsAsync(string projectId, IReadOnlyList<string> taskIds, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.Seeds);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("ids", taskIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var seeds = new Dictionary<string, TaskSeed>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            seeds[reader.GetString(0)] = new TaskSeed(
                reader.GetInt64(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6));
        }

        return seeds;
    }

    public async Task<ShardSnapshot> LoadShardAsync(string projectId, int shard, int? overlap, bool dynamicOverlap = false, CancellationToken cancellationToken = default)
    {
        // One snapshot for both statements: counts taken a moment after the tasks would count twice a change that
        // commits in between (once in the counts, once more when the task's news of it arrives).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var command = new NpgsqlCommand(PostgresTaskSql.LoadShard, connection, transaction);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("shard", shard);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var tasks = new List<TaskSnapshot>();
        var activeReviewsOf = new List<int>();
        long open = 0, deadLettered = 0, activeLeases = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = (TaskState)reader.GetInt16(2);
            var active = (int)reader.GetInt64(6);
            var submitted = (int)reader.GetInt64(7);
            var activeReviews = (int)reader.GetInt64(9);
            // Until the reviews below are read, every submission counts as accepted.
            var freeSlots = TaskSnapshots.FreeSlots(state, TaskSnapshots.Slots(overlap, dynamicOverlap, submitted), active - activeReviews, submitted);
            tasks.Add(new TaskSnapshot(
                reader.GetString(0), reader.GetInt64(1), state, reader.GetInt32(3), reader.GetInt64(4), active, submitted, freeSlots,
                [.. reader.GetFieldValue<string[]>(5)],
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                Reviewers: [.. reader.GetFieldValue<string[]>(10)]));
            activeReviewsOf.Add(activeReviews);
            open += state == TaskState.Open ? 1 : 0;
            deadLettered += state == TaskState.DeadLettered ? 1 : 0;
            activeLeases += active;
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var completed = reader.GetInt64(0);
        var submissions = reader.GetInt64(1);

        // Submissions under review: a rejected one gave its slot back, a pending one is accepted on time by the shard.
        await reader.NextResultAsync(cancellationToken);
        var reviews = new Dictionary<string, (int Rejected, DateTimeOffset? PendingSince, int Pending)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            reviews[reader.GetString(0)] = ((int)reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), (int)reader.GetInt64(3));
        }

        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            var activeReviews = activeReviewsOf[i];
            if (!reviews.TryGetValue(task.TaskId, out var review) && activeReviews == 0)
            {
                // Never reviewed (most tasks): its snapshot is complete as read.
                continue;
            }

            var held = task.Submissions - review.Rejected;
            tasks[i] = task with
            {
                FreeSlots = TaskSnapshots.FreeSlots(
                    task.State, TaskSnapshots.Slots(overlap, dynamicOverlap, held - review.Pending), task.ActiveLeases - activeReviews, held),
                PendingSince = review.PendingSince,
                ReviewItems = TaskSnapshots.ReviewItems(task.State, review.Pending, activeReviews),
            };
        }

        return new ShardSnapshot(tasks, new ProjectCounts(open, completed, deadLettered, activeLeases, submissions));
    }

    public async Task<IReadOnlyList<ActiveLeaseRecord>> GetActiveLeasesAsync(string workerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.ActiveLeasesOfWorker);
        command.Parameters.AddWithValue("worker", workerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var leases = new List<ActiveLeaseRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var reviewOf = reader.IsDBNull(6) ? null : reader.GetString(6);
            var lease = new LeaseRecord(reader.GetString(0), workerId, LeaseState.Active, reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4), reviewOf);
            leases.Add(new ActiveLeaseRecord(reader.GetString(1), reader.GetString(2), lease, reader.GetString(5), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        return leases;
    }

    public async Task<WorkerTotals> GetWorkerTotalsAsync(string workerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.WorkerTotals);
        command.Parameters.AddWithValue("worker", workerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var totals = new WorkerTotals(
            reader.GetInt64(0), new GoldenScore(reader.GetInt64(1), reader.GetInt64(2)), reader.GetDecimal(3), ImmutableDictionary<string, GoldenScore>.Empty,
            Accepted: reader.GetInt64(4), Rejected: reader.GetInt64(5), Pending: reader.GetDecimal(6), ReviewRewards: reader.GetDecimal(7));
        await reader.NextResultAsync(cancellationToken);
        var bySkill = ImmutableDictionary.CreateBuilder<string, GoldenScore>();
        var reviewedBySkill = ImmutableDictionary.CreateBuilder<string, GoldenScore>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var skill = reader.GetString(0);
            if (reader.GetInt64(1) > 0)
            {
                bySkill[skill] = new GoldenScore(reader.GetInt64(1), reader.GetInt64(2));
            }

            if (reader.GetInt64(3) > 0)
            {
                reviewedBySkill[skill] = new GoldenScore(reader.GetInt64(3), reader.GetInt64(4));
            }
        }

        return totals with { GoldenBySkill = bySkill.ToImmutable(), ReviewedBySkill = reviewedBySkill.ToImmutable() };
    }

    public async Task<ExamProgress> GetExamProgressAsync(string projectId, string workerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.ExamProgress);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("worker", workerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ExamProgress(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public async Task<LeaseLocation?> FindLeaseAsync(string leaseId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.FindLease);
        command.Parameters.AddWithValue("lease", leaseId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new LeaseLocation(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    public async Task<ListPage<TaskRecord>> ListAsync(string projectId, TaskState? state, string? afterTaskId, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        List<TaskRecord> tasks;
        bool more;
        await using (var command = dataSource.CreateCommand(PostgresTaskSql.ListByState))
        {
            command.Parameters.AddWithValue("project", projectId);
            command.Parameters.AddWithValue("states", state is { } only ? new[] { (short)only } : [(short)TaskState.Open, (short)TaskState.Completed, (short)TaskState.DeadLettered]);
            command.Parameters.AddWithValue("after", afterTaskId ?? "");
            command.Parameters.AddWithValue("limit", limit);
            command.Parameters.AddWithValue("max_bytes", maxBytes);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            (tasks, var fetched) = await ReadTaskRowsAsync(reader, bounded: true, cancellationToken);
            more = tasks.Count == limit || fetched > tasks.Count;
        }

        if (tasks.Count == 0)
        {
            return ListPage<TaskRecord>.Empty;
        }

        await using var activity = dataSource.CreateCommand(PostgresTaskSql.ActivityOfPage);
        activity.Parameters.AddWithValue("project", projectId);
        activity.Parameters.AddWithValue("ids", tasks.Select(t => t.TaskId).ToArray());
        await using var activityReader = await activity.ExecuteReaderAsync(cancellationToken);
        return new ListPage<TaskRecord>(await WithActivityAsync(activityReader, tasks, cancellationToken), more);
    }

    /// <summary>
    /// A page of completions below the commit horizon. Completions above it are committed but may still have an
    /// earlier one committing beside them; those transactions take milliseconds, so a page that stopped at the
    /// horizon before a completion stored before the call began is read again until the horizon passes it, so that
    /// what was acknowledged before the call is in its answer. A transaction open for longer than two seconds holds
    /// later completions back until it ends; the page is answered without them meanwhile.
    /// </summary>
    public async Task<ListPage<CompletedTaskRecord>> ListCompletedAsync(
        string projectId, CompletionCursor? after, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        var waited = Stopwatch.StartNew();
        DateTimeOffset? callStarted = null;
        while (true)
        {
            var (page, heldBack, started) = await ReadCompletedAsync(projectId, after, limit, maxBytes, callStarted, cancellationToken);
            if (page.More || !heldBack || waited.Elapsed > MaxHorizonWait)
            {
                return page;
            }

            callStarted = started;
            await Task.Delay(HorizonPollInterval, cancellationToken);
        }
    }

    public async Task<CompletionCursor?> FindCompletionAsync(string projectId, long completionNumber, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.FindCompletion);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("number", completionNumber);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CompletionCursor(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1))
            : null;
    }

    private static readonly TimeSpan MaxHorizonWait = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan HorizonPollInterval = TimeSpan.FromMilliseconds(5);

    private async Task<(ListPage<CompletedTaskRecord> Page, bool HeldBack, DateTimeOffset CallStarted)> ReadCompletedAsync(
        string projectId, CompletionCursor? after, int limit, long maxBytes, DateTimeOffset? callStarted, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.ListCompleted);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.Add(Time("after_at", after?.CompletedAt ?? DateTimeOffset.MinValue));
        command.Parameters.Add(Text("after_task", after?.TaskId ?? ""));
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("max_bytes", maxBytes);
        command.Parameters.Add(Time("since", callStarted));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        // One row per accepted submission, a task's rows together; the first of them carries the payload.
        var tasks = ImmutableArray.CreateBuilder<CompletedTaskRecord>();
        var submissions = ImmutableArray.CreateBuilder<SubmissionRecord>();
        long fetched = 0, task = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var n = reader.GetInt64(reader.GetOrdinal("n"));
            if (n != task)
            {
                Flush();
                task = n;
                tasks.Add(new CompletedTaskRecord(
                    reader.GetString(reader.GetOrdinal("page_task_id")), reader.GetString(reader.GetOrdinal("payload")), [],
                    reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("completed_at"))));
                fetched = reader.GetInt64(reader.GetOrdinal("fetched"));
            }

            if (!reader.IsDBNull(1))
            {
                submissions.Add(ReadSubmission(reader));
            }
        }

        Flush();
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var heldBack = reader.GetBoolean(0);
        var started = reader.GetFieldValue<DateTimeOffset>(1);
        return (new ListPage<CompletedTaskRecord>(tasks.ToImmutable(), tasks.Count == limit || fetched > tasks.Count), heldBack, started);

        void Flush()
        {
            if (tasks.Count > 0)
            {
                tasks[^1] = tasks[^1] with { Submissions = submissions.ToImmutable() };
                submissions.Clear();
            }
        }
    }

    public async Task<ListPage<(string TaskId, SubmissionRecord Submission)>> ListSubmissionsAsync(
        string projectId, SubmissionState state, SubmissionCursor? after, int limit, long maxBytes, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresTaskSql.ListSubmissions);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("state", (short)state);
        command.Parameters.Add(Time("at", after?.SubmittedAt ?? DateTimeOffset.MinValue));
        command.Parameters.Add(Text("task", after?.TaskId ?? ""));
        command.Parameters.Add(Text("worker", after?.WorkerId ?? ""));
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("max_bytes", maxBytes);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var page = ImmutableArray.CreateBuilder<(string, SubmissionRecord)>();
        long fetched = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add((reader.GetString(0), ReadSubmission(reader)));
            fetched = reader.GetInt64(reader.GetOrdinal("fetched"));
        }

        return new ListPage<(string, SubmissionRecord)>(page.ToImmutable(), page.Count == limit || fetched > page.Count);
    }

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Runs a query whose three results are task rows, their leases and their submissions.</summary>
    private async Task<IReadOnlyList<TaskRecord>> ReadTasksAsync(string sql, string projectId, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("project", projectId);
        bind(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var (tasks, _) = await ReadTaskRowsAsync(reader, bounded: false, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return await WithActivityAsync(reader, tasks, cancellationToken);
    }

    /// <summary>Task rows (<c>PostgresTaskSql.TaskColumns</c>) and, for a bounded page, how many rows it had before the cut.</summary>
    private static async Task<(List<TaskRecord> Tasks, long Fetched)> ReadTaskRowsAsync(NpgsqlDataReader reader, bool bounded, CancellationToken cancellationToken)
    {
        var tasks = new List<TaskRecord>();
        long fetched = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            tasks.Add(new TaskRecord(
                reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), (TaskState)reader.GetInt16(3), reader.GetInt32(4), reader.GetInt64(5),
                reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetInt32(8), [], []));
            fetched = bounded ? reader.GetInt64(reader.GetOrdinal("fetched")) : fetched;
        }

        return (tasks, fetched);
    }

    /// <summary>The tasks with their leases and submissions, read from the reader's current result and the next.</summary>
    private static async Task<ImmutableArray<TaskRecord>> WithActivityAsync(NpgsqlDataReader reader, List<TaskRecord> tasks, CancellationToken cancellationToken)
    {
        var leases = new Dictionary<string, ImmutableArray<LeaseRecord>.Builder>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var taskId = reader.GetString(0);
            if (!leases.TryGetValue(taskId, out var list))
            {
                leases[taskId] = list = ImmutableArray.CreateBuilder<LeaseRecord>();
            }

            list.Add(new LeaseRecord(
                reader.GetString(1), reader.GetString(2), (LeaseState)reader.GetInt16(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        await reader.NextResultAsync(cancellationToken);
        var submissions = await ReadSubmissionsAsync(reader, cancellationToken);
        return [.. tasks.Select(t => t with
        {
            Leases = leases.TryGetValue(t.TaskId, out var l) ? [.. l] : [],
            Submissions = submissions.TryGetValue(t.TaskId, out var s) ? [.. s] : [],
        })];
    }

    private static async Task<Dictionary<string, ImmutableArray<SubmissionRecord>>> ReadSubmissionsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var submissions = new Dictionary<string, ImmutableArray<SubmissionRecord>.Builder>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var taskId = reader.GetString(0);
            if (!submissions.TryGetValue(taskId, out var list))
            {
                submissions[taskId] = list = ImmutableArray.CreateBuilder<SubmissionRecord>();
            }

            list.Add(ReadSubmission(reader));
        }

        return submissions.ToDictionary(s => s.Key, s => s.Value.ToImmutable(), StringComparer.Ordinal);
    }

    /// <summary>A row of <c>PostgresTaskSql.SubmissionColumns</c>.</summary>
    private static SubmissionRecord ReadSubmission(NpgsqlDataReader reader)
    {
        var state = (SubmissionState)reader.GetInt16(8);
        DateTimeOffset? decidedAt = reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9);
        var review = reader.IsDBNull(10) ? null : new ReviewView(
            state == SubmissionState.Accepted ? ReviewVerdict.Accept : ReviewVerdict.Reject,
            (ReviewerKind)reader.GetInt16(10),
            reader.IsDBNull(11) ? null : reader.GetString(11),
            reader.IsDBNull(12) ? null : reader.GetString(12),
            decidedAt ?? default);
        return new SubmissionRecord(
            reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetBoolean(5), reader.GetDecimal(6), [.. reader.GetFieldValue<string[]>(7)],
            state, decidedAt, review, reader.GetDecimal(13));
    }

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Time(string name, DateTimeOffset? value) =>
        new(name, NpgsqlDbType.TimestampTz) { Value = (object?)value?.UtcDateTime ?? DBNull.Value };
}
