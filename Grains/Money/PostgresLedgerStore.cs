using Dispatch.Grains.Postgres;
using Dispatch.Money;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Grains.Money;

/// <summary>
/// The production ledger: dispatch_ledger beside dispatch_submissions. A bonus or payout is one transaction that takes
/// the worker's lock, then checks the key (and the submission, or the balance) and inserts, so what it checked still
/// holds when it commits, whichever silo or activation runs it.
/// </summary>
public sealed class PostgresLedgerStore(NpgsqlDataSource dataSource) : ILedgerStore
{
    public async Task<LedgerSums> GetSumsAsync(string workerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresLedgerSql.Sums);
        command.Parameters.AddWithValue("worker", workerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new LedgerSums(reader.GetDecimal(0), reader.GetDecimal(1));
    }

    public Task<LedgerWrite> AddBonusAsync(string workerId, LedgerRecord bonus, string idempotencyKey, CancellationToken cancellationToken = default) =>
        WriteAsync(
            workerId,
            bonus,
            idempotencyKey,
            Command(PostgresLedgerSql.HasSubmission, workerId, ("project", bonus.ProjectId!)),
            found => (found.GetBoolean(0) ? null : LedgerWriteOutcome.NoSubmission, 0m),
            cancellationToken);

    public Task<LedgerWrite> AddPayoutAsync(string workerId, LedgerRecord payout, string idempotencyKey, CancellationToken cancellationToken = default) =>
        WriteAsync(
            workerId,
            payout,
            idempotencyKey,
            Command(PostgresLedgerSql.Balance, workerId),
            found =>
            {
                var balance = found.GetDecimal(0);
                return (checked(balance + payout.Amount) < 0 ? LedgerWriteOutcome.InsufficientBalance : null, balance);
            },
            cancellationToken);

    public async Task<LedgerSlice> ReadAsync(string workerId, LedgerCursor? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(PostgresLedgerSql.Page);
        command.Parameters.AddWithValue("worker", workerId);
        command.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = (object?)after?.At.UtcDateTime ?? DBNull.Value });
        command.Parameters.AddWithValue("entry", after?.EntryId ?? "");
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<LedgerRecord>();
        var opening = 0m;
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(ReadEntry(reader));
            opening = reader.GetDecimal(7);
        }

        return new LedgerSlice(opening, entries);
    }

    /// <param name="check">The statement that reads what the write depends on (one row).</param>
    /// <param name="judge">Reads that row: the outcome that refuses the write (null to write), and the balance it saw.</param>
    private async Task<LedgerWrite> WriteAsync(
        string workerId,
        LedgerRecord entry,
        string idempotencyKey,
        NpgsqlBatchCommand check,
        Func<NpgsqlDataReader, (LedgerWriteOutcome? Refusal, decimal Balance)> judge,
        CancellationToken cancellationToken) =>
        await dataSource.OnConnectionAsync(connection => WriteOnAsync(connection, workerId, entry, idempotencyKey, check, judge, cancellationToken), cancellationToken);

    private static async Task<LedgerWrite> WriteOnAsync(
        NpgsqlConnection connection,
        string workerId,
        LedgerRecord entry,
        string idempotencyKey,
        NpgsqlBatchCommand check,
        Func<NpgsqlDataReader, (LedgerWriteOutcome? Refusal, decimal Balance)> judge,
        CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Read committed: each statement after the lock sees every write committed before the lock was granted.
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command(PostgresLedgerSql.LockWorker, workerId),
                Command(PostgresLedgerSql.FindByKey, workerId, ("kind", (short)entry.Kind), ("key", idempotencyKey)),
                check,
                Command(PostgresLedgerSql.Sums, workerId),
            },
        };
        LedgerRecord? prior = null;
        LedgerWriteOutcome? refused;
        decimal balance;
        LedgerSums sums;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                prior = ReadEntry(reader);
            }

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (refused, balance) = judge(reader);

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            sums = new LedgerSums(reader.GetDecimal(0), reader.GetDecimal(1));
        }

        if (prior is not null || refused is not null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new LedgerWrite(prior is null ? refused!.Value : LedgerWriteOutcome.KeyUsed, prior, sums, balance);
        }

        await using (var insert = new NpgsqlCommand(PostgresLedgerSql.Insert, connection, transaction))
        {
            insert.Parameters.AddWithValue("worker", workerId);
            insert.Parameters.AddWithValue("entry", entry.EntryId);
            insert.Parameters.AddWithValue("kind", (short)entry.Kind);
            insert.Parameters.AddWithValue("amount", entry.Amount);
            insert.Parameters.Add(Text("project", entry.ProjectId));
            insert.Parameters.Add(Text("task", entry.TaskId));
            insert.Parameters.Add(Text("reference", entry.Reference));
            insert.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = entry.At.UtcDateTime });
            insert.Parameters.AddWithValue("key", idempotencyKey);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new LedgerWrite(LedgerWriteOutcome.Stored, entry, LedgerBook.Add(sums, entry), balance);
    }

    private static NpgsqlBatchCommand Command(string sql, string workerId, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("worker", workerId);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static LedgerRecord ReadEntry(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        (LedgerEntryKind)reader.GetInt16(1),
        MoneyRules.Normalize(reader.GetDecimal(2)),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetFieldValue<DateTimeOffset>(6));

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}
