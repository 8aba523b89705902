using System.Collections.Immutable;
using Dispatch.Projects;
using Dispatch.Tasks;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Grains.Storage;

/// <summary>The production store: Dispatch's own tables on PostgreSQL (see Postgres/Migrations).</summary>
public sealed class PostgresTaskStore(NpgsqlDataSource dataSource) : ITaskStore
{
    private const string FindConflictSql = """
        SELECT i.task_id
        FROM unnest(@ids, @payloads) AS i(task_id, payload)
        JOIN dispatch_tasks t ON t.project_id = @project AND t.task_id = i.task_id
        WHERE t.payload::jsonb <> i.payload::jsonb
        LIMIT 1
        """;

    private const string InsertSql = """
        INSERT INTO dispatch_tasks (project_id, task_id, shard, priority, payload, golden_answer, created_at)
        SELECT @project, i.task_id, i.shard, i.priority, i.payload::json, i.golden::json, @now
        FROM unnest(@ids, @shards, @priorities, @payloads, @goldens) WITH ORDINALITY AS i(task_id, shard, priority, payload, golden, ord)
        ORDER BY i.ord
        ON CONFLICT (project_id, task_id) DO NOTHING
        RETURNING task_id
        """;

    private const string ReadImportedSql = """
        SELECT task_id, shard, state, priority, seq
        FROM dispatch_tasks
        WHERE project_id = @project AND task_id = ANY(@ids)
        """;

    private const string GetTaskSql = """
        SELECT shard, payload::text, priority, golden_answer::text, state, failed_attempts
        FROM dispatch_tasks WHERE project_id = @project AND task_id = @task;
        SELECT lease_id, worker_id, state, leased_at, expires_at
        FROM dispatch_leases WHERE project_id = @project AND task_id = @task ORDER BY leased_at, lease_id;
        SELECT worker_id, result::text, submitted_at, correct
        FROM dispatch_submissions WHERE project_id = @project AND task_id = @task ORDER BY submitted_at, worker_id;
        """;

    private const string LoadShardSql = """
        SELECT task_id, priority, seq
        FROM dispatch_tasks WHERE project_id = @project AND shard = @shard AND state = 0
        ORDER BY priority DESC, seq;
        SELECT state, count(*) FROM dispatch_tasks WHERE project_id = @project AND shard = @shard GROUP BY state;
        """;

    public async Task<ImportOutcome> ImportAsync(string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var ids = tasks.Select(t => t.TaskId).ToArray();
        var payloads = tasks.Select(t => t.PayloadJson).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var find = new NpgsqlCommand(FindConflictSql, connection, transaction))
        {
            find.Parameters.AddWithValue("project", projectId);
            find.Parameters.AddWithValue("ids", ids);
            find.Parameters.AddWithValue("payloads", payloads);
            if (await find.ExecuteScalarAsync(cancellationToken) is string conflicting)
            {
                return ImportOutcome.Conflict(conflicting);
            }
        }

        var created = new HashSet<string>(StringComparer.Ordinal);
        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        {
            insert.Parameters.AddWithValue("project", projectId);
            insert.Parameters.AddWithValue("now", now);
            insert.Parameters.AddWithValue("ids", ids);
            insert.Parameters.AddWithValue("shards", tasks.Select(t => t.Shard).ToArray());
            insert.Parameters.AddWithValue("priorities", tasks.Select(t => t.Priority).ToArray());
            insert.Parameters.AddWithValue("payloads", payloads);
            insert.Parameters.Add(new NpgsqlParameter("goldens", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = tasks.Select(t => t.GoldenAnswerJson).ToArray() });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                created.Add(reader.GetString(0));
            }
        }

        var rows = new Dictionary<string, ImportedTask>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand(ReadImportedSql, connection, transaction))
        {
            read.Parameters.AddWithValue("project", projectId);
            read.Parameters.AddWithValue("ids", ids);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var taskId = reader.GetString(0);
                rows[taskId] = new ImportedTask(taskId, reader.GetInt32(1), created.Contains(taskId), (TaskState)reader.GetInt16(2), reader.GetInt32(3), reader.GetInt64(4));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new ImportOutcome(ids.Select(id => rows[id]).ToList(), null);
    }

    public async Task<StoredTask?> GetAsync(string projectId, string taskId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(GetTaskSql);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("task", taskId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var shard = reader.GetInt32(0);
        var payload = reader.GetString(1);
        var priority = reader.GetInt32(2);
        var golden = reader.IsDBNull(3) ? null : reader.GetString(3);
        var state = (TaskState)reader.GetInt16(4);
        var failedAttempts = reader.GetInt32(5);

        await reader.NextResultAsync(cancellationToken);
        var leases = ImmutableArray.CreateBuilder<LeaseView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new LeaseView(reader.GetString(0), reader.GetString(1), (LeaseState)reader.GetInt16(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        await reader.NextResultAsync(cancellationToken);
        var submissions = ImmutableArray.CreateBuilder<SubmissionView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            submissions.Add(new SubmissionView(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.IsDBNull(3) ? null : reader.GetBoolean(3)));
        }

        return new StoredTask(new TaskView(taskId, state, payload, priority, failedAttempts, leases.ToImmutable(), submissions.ToImmutable()), shard, golden);
    }

    public async Task<ShardSnapshot> LoadShardAsync(string projectId, int shard, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(LoadShardSql);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("shard", shard);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var open = new List<QueuedTask>();
        while (await reader.ReadAsync(cancellationToken))
        {
            open.Add(new QueuedTask(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)));
        }

        await reader.NextResultAsync(cancellationToken);
        long completed = 0, deadLettered = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var count = reader.GetInt64(1);
            switch ((TaskState)reader.GetInt16(0))
            {
                case TaskState.Completed:
                    completed = count;
                    break;
                case TaskState.DeadLettered:
                    deadLettered = count;
                    break;
            }
        }

        return new ShardSnapshot(open, new ProjectCounts(open.Count, completed, deadLettered, 0, 0));
    }

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
