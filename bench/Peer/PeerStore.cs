using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Bench.Peer;

internal sealed record ProjectRow(string Id, string Name, string? Instructions, string? LabelConfig, int Overlap, int LeaseSeconds, int MaxAttempts, decimal Reward, int Priority, string Status);

internal sealed record Counts(long Total, long Open, long Completed, long DeadLettered, long ActiveLeases, long Submissions);

internal sealed record Lease(Guid LeaseId, string ProjectId, string TaskId, string PayloadJson, string? Instructions, string? LabelConfig, DateTime ExpiresAt);

internal sealed record ImportTask(string? Id, string PayloadJson, int Priority);

internal sealed record Submission(string WorkerId, string ResultJson, DateTime SubmittedAt);

internal sealed record ResultRow(long Seq, string TaskId, string PayloadJson, long CompletedSeq, DateTime CompletedAt, List<Submission> Submissions);

internal enum ClaimOutcome { Leased, NoWork, Busy, WorkerAtLimit, ProjectNotFound, ProjectNotOpen }

internal enum SubmitOutcome { Accepted, NotFound, Expired, NotActive }

/// <summary>All SQL of the peer. Every call is one statement (one implicit transaction) unless it says otherwise.</summary>
internal sealed class PeerStore(NpgsqlDataSource db)
{
    private const string ClaimTemplate = """
        WITH worker AS (
            SELECT 1 FROM workers w
            WHERE w.id = $1 AND (SELECT count(*) FROM leases l WHERE l.worker_id = $1 AND l.state = 0) < w.max_active_leases),
        next AS (
            SELECT t.seq FROM tasks t
            WHERE t.state = 0 AND t.slots_free > 0 {0}
              AND EXISTS (SELECT 1 FROM worker)
              AND EXISTS (SELECT 1 FROM projects p WHERE p.id = t.project_id AND p.status = 'open')
              AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.worker_id = $1 AND l.task_seq = t.seq)
            ORDER BY t.priority DESC, t.seq
            LIMIT 1
            FOR UPDATE OF t SKIP LOCKED),
        claimed AS (
            UPDATE tasks t SET slots_free = t.slots_free - 1
            FROM next WHERE t.seq = next.seq
            RETURNING t.seq, t.project_id, t.id, t.payload),
        lease AS (
            INSERT INTO leases (id, task_seq, worker_id, state, leased_at, expires_at)
            SELECT $2, c.seq, $1, 0, now(), now() + p.lease_seconds * interval '1 second'
            FROM claimed c JOIN projects p ON p.id = c.project_id
            RETURNING task_seq, expires_at)
        SELECT c.project_id, c.id, c.payload::text, p.instructions, p.label_config, lease.expires_at
        FROM claimed c JOIN lease ON lease.task_seq = c.seq JOIN projects p ON p.id = c.project_id
        """;

    private static readonly string ClaimAnySql = string.Format(System.Globalization.CultureInfo.InvariantCulture, ClaimTemplate, "");
    private static readonly string ClaimProjectSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, ClaimTemplate, "AND t.project_id = $3");

    // Whether a claimable task exists, ignoring row locks: SKIP LOCKED may pass over a task that another claim holds
    // for a moment, and the API never answers 204 while a task the worker may take exists.
    private const string AnyClaimableSql = """
        SELECT EXISTS (
            SELECT 1 FROM tasks t
            WHERE t.state = 0 AND t.slots_free > 0 AND ($2::text IS NULL OR t.project_id = $2)
              AND EXISTS (SELECT 1 FROM projects p WHERE p.id = t.project_id AND p.status = 'open')
              AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.worker_id = $1 AND l.task_seq = t.seq))
        """;

    private const string SubmitSql = """
        WITH lease AS (
            UPDATE leases SET state = 1
            WHERE id = $1 AND worker_id = $2 AND state = 0 AND expires_at > now()
            RETURNING task_seq),
        submission AS (
            INSERT INTO submissions (task_seq, worker_id, lease_id, result, submitted_at)
            SELECT task_seq, $2, $1, $3, now() FROM lease),
        task AS (
            UPDATE tasks t SET
                submissions = t.submissions + 1,
                state = CASE WHEN t.submissions + 1 >= p.overlap THEN 1 ELSE t.state END,
                completed_seq = CASE WHEN t.submissions + 1 >= p.overlap THEN nextval('tasks_completed_seq') END,
                completed_at = CASE WHEN t.submissions + 1 >= p.overlap THEN now() END
            FROM lease, projects p
            WHERE t.seq = lease.task_seq AND p.id = t.project_id
            RETURNING t.id, t.state)
        SELECT id, state FROM task
        """;

    private const string ExpireSql = """
        WITH expired AS (
            UPDATE leases SET state = 2
            WHERE id IN (SELECT id FROM leases WHERE state = 0 AND expires_at <= now() ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
            RETURNING task_seq),
        per_task AS (SELECT task_seq, count(*)::int AS n FROM expired GROUP BY task_seq)
        UPDATE tasks t SET
            slots_free = t.slots_free + per_task.n,
            failed_attempts = t.failed_attempts + per_task.n,
            state = CASE WHEN t.failed_attempts + per_task.n >= p.max_attempts THEN 2 ELSE t.state END
        FROM per_task, projects p
        WHERE t.seq = per_task.task_seq AND p.id = t.project_id
        """;

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand(Schema.Sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<bool> CreateWorkerAsync(string id, string? displayName, int maxActiveLeases, byte[] tokenHash, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO workers (id, display_name, token_hash, max_active_leases) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = (object?)displayName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = tokenHash });
        command.Parameters.Add(new() { Value = maxActiveLeases });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<string?> FindWorkerByTokenAsync(byte[] tokenHash, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT id FROM workers WHERE token_hash = $1");
        command.Parameters.Add(new() { Value = tokenHash });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public async Task<bool> CreateProjectAsync(ProjectRow p, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            INSERT INTO projects (id, name, instructions, label_config, overlap, lease_seconds, max_attempts, reward, priority)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING
            """);
        command.Parameters.Add(new() { Value = p.Id });
        command.Parameters.Add(new() { Value = p.Name });
        command.Parameters.Add(new() { Value = (object?)p.Instructions ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)p.LabelConfig ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = p.Overlap });
        command.Parameters.Add(new() { Value = p.LeaseSeconds });
        command.Parameters.Add(new() { Value = p.MaxAttempts });
        command.Parameters.Add(new() { Value = p.Reward });
        command.Parameters.Add(new() { Value = p.Priority });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<ProjectRow?> GetProjectAsync(string id, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "SELECT id, name, instructions, label_config, overlap, lease_seconds, max_attempts, reward, priority, status FROM projects WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new ProjectRow(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetDecimal(7), reader.GetInt32(8), reader.GetString(9))
            : null;
    }

    public async Task<Counts> CountAsync(string projectId, CancellationToken ct)
    {
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new("""
            SELECT count(*), count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2),
                   coalesce(sum(submissions), 0)::bigint
            FROM tasks WHERE project_id = $1
            """) { Parameters = { new() { Value = projectId } } });
        batch.BatchCommands.Add(new("SELECT count(*) FROM leases l JOIN tasks t ON t.seq = l.task_seq WHERE l.state = 0 AND t.project_id = $1")
        {
            Parameters = { new() { Value = projectId } },
        });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (total, open, completed, dead, submissions) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return new Counts(total, open, completed, dead, reader.GetInt64(0), submissions);
    }

    /// <summary>Imports tasks: binary COPY straight into the table when the server names every task, else through a staging table.</summary>
    /// <returns>The number created, or null when a given id exists with another payload (nothing is stored then).</returns>
    public async Task<int?> ImportAsync(ProjectRow project, IReadOnlyList<ImportTask> tasks, string[] ids, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (tasks.All(t => t.Id is null))
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY tasks (project_id, id, payload, priority, slots_free) FROM STDIN (FORMAT BINARY)", ct);
            for (var i = 0; i < tasks.Count; i++)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(project.Id, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(ids[i], NpgsqlDbType.Text, ct);
                await importer.WriteAsync(tasks[i].PayloadJson, NpgsqlDbType.Jsonb, ct);
                await importer.WriteAsync(tasks[i].Priority, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(project.Overlap, NpgsqlDbType.Integer, ct);
            }

            await importer.CompleteAsync(ct);
            return tasks.Count;
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE staging (ord int, id text, payload jsonb, priority int) ON COMMIT DROP", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        await using (var importer = await connection.BeginBinaryImportAsync("COPY staging (ord, id, payload, priority) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < tasks.Count; i++)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(i, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(ids[i], NpgsqlDbType.Text, ct);
                await importer.WriteAsync(tasks[i].PayloadJson, NpgsqlDbType.Jsonb, ct);
                await importer.WriteAsync(tasks[i].Priority, NpgsqlDbType.Integer, ct);
            }

            await importer.CompleteAsync(ct);
        }

        await using (var conflict = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM staging s JOIN tasks t ON t.project_id = $1 AND t.id = s.id WHERE t.payload <> s.payload)
                OR EXISTS (SELECT 1 FROM staging a JOIN staging b ON a.id = b.id AND a.ord < b.ord WHERE a.payload <> b.payload)
            """, connection, transaction))
        {
            conflict.Parameters.Add(new() { Value = project.Id });
            if ((bool)(await conflict.ExecuteScalarAsync(ct))!)
            {
                return null;
            }
        }

        int created;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO tasks (project_id, id, payload, priority, slots_free)
            SELECT $1, id, payload, priority, $2 FROM staging ORDER BY ord
            ON CONFLICT (project_id, id) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = project.Id });
            insert.Parameters.Add(new() { Value = project.Overlap });
            created = await insert.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return created;
    }

    public async Task<(ClaimOutcome Outcome, Lease? Lease)> ClaimAsync(string workerId, string? projectId, CancellationToken ct)
    {
        var leaseId = Guid.NewGuid();
        await using var command = db.CreateCommand(projectId is null ? ClaimAnySql : ClaimProjectSql);
        command.Parameters.Add(new() { Value = workerId });
        command.Parameters.Add(new() { Value = leaseId });
        if (projectId is not null)
        {
            command.Parameters.Add(new() { Value = projectId });
        }

        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                return (ClaimOutcome.Leased, new Lease(leaseId, reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetDateTime(5)));
            }
        }

        return (await WhyNoLeaseAsync(workerId, projectId, ct), null);
    }

    /// <summary>The rare path after a claim found nothing: tells "no work" from the refusals, and a task held by a concurrent claim from none.</summary>
    private async Task<ClaimOutcome> WhyNoLeaseAsync(string workerId, string? projectId, CancellationToken ct)
    {
        if (projectId is not null)
        {
            var project = await GetProjectAsync(projectId, ct);
            if (project is null)
            {
                return ClaimOutcome.ProjectNotFound;
            }

            if (project.Status != "open")
            {
                return ClaimOutcome.ProjectNotOpen;
            }
        }

        await using var command = db.CreateCommand("""
            SELECT (SELECT count(*) FROM leases l WHERE l.worker_id = $1 AND l.state = 0) >= w.max_active_leases FROM workers w WHERE w.id = $1
            """);
        command.Parameters.Add(new() { Value = workerId });
        if (await command.ExecuteScalarAsync(ct) is true)
        {
            return ClaimOutcome.WorkerAtLimit;
        }

        await using var any = db.CreateCommand(AnyClaimableSql);
        any.Parameters.Add(new() { Value = workerId });
        any.Parameters.Add(new() { Value = (object?)projectId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return (bool)(await any.ExecuteScalarAsync(ct))! ? ClaimOutcome.Busy : ClaimOutcome.NoWork;
    }

    public async Task<(SubmitOutcome Outcome, string? TaskId, short TaskState)> SubmitAsync(string workerId, Guid leaseId, string resultJson, CancellationToken ct)
    {
        await using var command = db.CreateCommand(SubmitSql);
        command.Parameters.Add(new() { Value = leaseId });
        command.Parameters.Add(new() { Value = workerId });
        command.Parameters.Add(new() { Value = resultJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                return (SubmitOutcome.Accepted, reader.GetString(0), reader.GetInt16(1));
            }
        }

        await using var why = db.CreateCommand("SELECT state, expires_at <= now() FROM leases WHERE id = $1 AND worker_id = $2");
        why.Parameters.Add(new() { Value = leaseId });
        why.Parameters.Add(new() { Value = workerId });
        await using var diagnosis = await why.ExecuteReaderAsync(ct);
        if (!await diagnosis.ReadAsync(ct))
        {
            return (SubmitOutcome.NotFound, null, 0);
        }

        var state = diagnosis.GetInt16(0);
        return (state == 2 || (state == 0 && diagnosis.GetBoolean(1)) ? SubmitOutcome.Expired : SubmitOutcome.NotActive, null, 0);
    }

    /// <summary>Expires leases past their deadline (a batch at a time); their slots return to the queue.</summary>
    public async Task<int> ExpireLeasesAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand(ExpireSql);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<List<ResultRow>> ListResultsAsync(string projectId, long after, int limit, CancellationToken ct)
    {
        var rows = new List<ResultRow>();
        await using (var command = db.CreateCommand("""
            SELECT seq, id, payload::text, completed_seq, completed_at FROM tasks
            WHERE project_id = $1 AND completed_seq > $2 ORDER BY completed_seq LIMIT $3
            """))
        {
            command.Parameters.Add(new() { Value = projectId });
            command.Parameters.Add(new() { Value = after });
            command.Parameters.Add(new() { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new ResultRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetDateTime(4), []));
            }
        }

        if (rows.Count == 0)
        {
            return rows;
        }

        var bySeq = rows.ToDictionary(r => r.Seq);
        await using (var command = db.CreateCommand(
            "SELECT task_seq, worker_id, result::text, submitted_at FROM submissions WHERE task_seq = ANY($1) ORDER BY task_seq, submitted_at"))
        {
            command.Parameters.Add(new() { Value = rows.Select(r => r.Seq).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                bySeq[reader.GetInt64(0)].Submissions.Add(new Submission(reader.GetString(1), reader.GetString(2), reader.GetDateTime(3)));
            }
        }

        return rows;
    }

    public static string ToJson(JsonElement element) => element.GetRawText();
}
