using Dispatch.Grains.Postgres;
using Dispatch.Grains.Webhooks;
using Dispatch.Tasks;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Grains.Storage;

/// <summary>
/// <see cref="PostgresTaskStore.ImportAsync"/>: all or nothing in one transaction, results in request order.
/// </summary>
/// <remarks>
/// Almost every import brings only new ids, so the rows are first copied straight into <c>dispatch_tasks</c>
/// with binary <c>COPY</c>, the cheapest way into the table: no arrays to unpack, no speculative insertion
/// (<c>ON CONFLICT</c>) and nothing to read back. A stored id (or an id twice in one call) makes that <c>COPY</c>
/// fail on the primary key, and the import starts again beside what is stored: the rows go to a temporary table,
/// only the new ones are inserted, and payloads are compared only for the ids that were there already.
/// Either way the webhook deliveries of the import go into the outbox in its transaction.
/// </remarks>
internal static class PostgresTaskImport
{
    public static async Task<ImportOutcome> ImportAsync(
        NpgsqlDataSource dataSource, string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now,
        Func<int, IReadOnlyList<WebhookOutboxEntry>>? outboxOfCreated, CancellationToken cancellationToken)
    {
        if (tasks.Count == 0)
        {
            return new ImportOutcome([], null);
        }

        return await dataSource.OnConnectionAsync(connection => ImportOnAsync(connection, projectId, tasks, now, outboxOfCreated, cancellationToken), cancellationToken);
    }

    private static async Task<ImportOutcome> ImportOnAsync(
        NpgsqlConnection connection, string projectId, IReadOnlyList<TaskToStore> tasks, DateTimeOffset now,
        Func<int, IReadOnlyList<WebhookOutboxEntry>>? outboxOfCreated, CancellationToken cancellationToken)
    {
        var sequences = await ReserveSequencesAsync(connection, tasks.Count, cancellationToken);
        var rows = new ImportRows(projectId, tasks, sequences, now.UtcDateTime, outboxOfCreated);

        if (await TryCopyAllAsync(connection, rows, cancellationToken))
        {
            return new ImportOutcome([.. tasks.Select((t, i) => new ImportedTask(t.TaskId, t.Shard, true, TaskState.Open, t.Priority, sequences[i]))], null);
        }

        return await ImportBesideStoredAsync(connection, rows, cancellationToken);
    }

    /// <summary>
    /// One <c>seq</c> per task, ascending in request order, taken before the rows are written because <c>COPY</c>
    /// returns nothing. Sequence values are never given back, so the same ones serve when the import starts again.
    /// </summary>
    private static async Task<long[]> ReserveSequencesAsync(NpgsqlConnection connection, int count, CancellationToken cancellationToken)
    {
        var sequences = new long[count];
        await using var command = new NpgsqlCommand(PostgresTaskSql.ReserveSequences, connection);
        command.Parameters.AddWithValue("count", count);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            for (var i = 0; await reader.ReadAsync(cancellationToken); i++)
            {
                sequences[i] = reader.GetInt64(0);
            }
        }

        Array.Sort(sequences);
        return sequences;
    }

    /// <returns>False, with nothing stored, when an id is stored already or repeated in the call.</returns>
    private static async Task<bool> TryCopyAllAsync(NpgsqlConnection connection, ImportRows rows, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await CopyAsync(connection, PostgresTaskSql.CopyTasks, rows, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        await InsertOutboxAsync(connection, transaction, rows, rows.Tasks.Count, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task<ImportOutcome> ImportBesideStoredAsync(NpgsqlConnection connection, ImportRows rows, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(PostgresTaskSql.CreateImportTable, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await CopyAsync(connection, PostgresTaskSql.CopyImportTable, rows, cancellationToken);

        await using (var insert = new NpgsqlCommand(PostgresTaskSql.InsertNewFromImportTable, connection, transaction))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // Request positions are found by their reserved seq, so an id repeated in the call is the stored row at
        // its first position and an existing task at the others.
        var existing = new Dictionary<int, ImportedTask>();
        var firstConflict = int.MaxValue;
        await using (var read = new NpgsqlCommand(PostgresTaskSql.ReadStoredBesideImport, connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var position = Array.BinarySearch(rows.Sequences, reader.GetInt64(0));
                existing[position] = new ImportedTask(
                    rows.Tasks[position].TaskId, reader.GetInt32(1), false, (TaskState)reader.GetInt16(2), reader.GetInt32(3), reader.GetInt64(4));
                if (!JsonValues.Equivalent(reader.GetString(5), rows.Tasks[position].PayloadJson))
                {
                    firstConflict = Math.Min(firstConflict, position);
                }
            }
        }

        if (firstConflict != int.MaxValue)
        {
            await transaction.RollbackAsync(cancellationToken);
            return ImportOutcome.Conflict(rows.Tasks[firstConflict].TaskId);
        }

        await InsertOutboxAsync(connection, transaction, rows, rows.Tasks.Count - existing.Count, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ImportOutcome(
            [.. rows.Tasks.Select((t, i) => existing.GetValueOrDefault(i) ?? new ImportedTask(t.TaskId, t.Shard, true, TaskState.Open, t.Priority, rows.Sequences[i]))],
            null);
    }

    private static async Task InsertOutboxAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ImportRows rows, int created, CancellationToken cancellationToken)
    {
        if (created > 0 && rows.OutboxOfCreated?.Invoke(created) is { Count: > 0 } entries)
        {
            await PostgresWebhookOutbox.InsertAsync(connection, transaction, entries, cancellationToken);
        }
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string copy, ImportRows rows, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        for (var i = 0; i < rows.Tasks.Count; i++)
        {
            var task = rows.Tasks[i];
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(rows.ProjectId, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(task.TaskId, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(task.Shard, NpgsqlDbType.Integer, cancellationToken);
            await importer.WriteAsync(rows.Sequences[i], NpgsqlDbType.Bigint, cancellationToken);
            await importer.WriteAsync(task.Priority, NpgsqlDbType.Integer, cancellationToken);
            await importer.WriteAsync(task.PayloadJson, NpgsqlDbType.Json, cancellationToken);
            if (task.GoldenAnswerJson is null)
            {
                await importer.WriteNullAsync(cancellationToken);
            }
            else
            {
                await importer.WriteAsync(task.GoldenAnswerJson, NpgsqlDbType.Json, cancellationToken);
            }

            await importer.WriteAsync(rows.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private sealed record ImportRows(
        string ProjectId, IReadOnlyList<TaskToStore> Tasks, long[] Sequences, DateTime CreatedAt, Func<int, IReadOnlyList<WebhookOutboxEntry>>? OutboxOfCreated);
}
