using System.Text.Json;
using Dispatch.Grains.Money;
using Dispatch.Grains.Postgres;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Tests.Money;

/// <summary>
/// A page of a busy worker's ledger must cost the page: its entries are read through the indexes in ledger order, not
/// sorted out of everything the worker ever earned. Counted in buffers touched, which do not depend on how busy the
/// machine is. (The opening balance of a later page sums the entries before it; the first page has none.)
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LedgerPagePlanTests(PostgresServer postgres)
{
    private const int PageSize = 100;

    [Fact]
    public async Task FirstPage_OfAWorkerWithTenThousandRewards_TouchesAFewPagesPerEntry()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        // Twenty workers' submissions interleaved, so one worker's rows lie scattered over the whole table.
        await Sql.ExecuteAsync(
            connectionString,
            """
            INSERT INTO dispatch_submissions (project_id, task_id, shard, worker_id, lease_id, result, submitted_at, reward)
            SELECT 'p' || (n % 50), 't' || n, 0, 'w' || (n % 20), upper(md5(n::text)), '"x"', now() - n * interval '1 second', 0.05
            FROM generate_series(1, 200000) AS n;
            INSERT INTO dispatch_ledger (worker_id, entry_id, kind, amount, project_id, reference, at, idempotency_key)
            SELECT 'w' || (n % 20), upper(md5('b' || n)), 2, 1, 'p1', 'r', now() - n * interval '1 second', 'k' || n
            FROM generate_series(1, 20000) AS n;
            ANALYZE;
            """);

        await using var connection = await Sql.OpenAsync(connectionString);
        await using var command = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + PostgresLedgerSql.Page, connection);
        command.Parameters.AddWithValue("worker", "w3");
        command.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = DBNull.Value });
        command.Parameters.AddWithValue("entry", "");
        command.Parameters.AddWithValue("limit", PageSize);
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");

        Assert.Equal(PageSize, plan.GetProperty("Actual Rows").GetInt64());
        var buffers = plan.GetProperty("Shared Hit Blocks").GetInt64() + plan.GetProperty("Shared Read Blocks").GetInt64();
        // Reading the worker's 11,000 entries to sort them touches thousands of pages.
        Assert.True(buffers <= 3 * PageSize, $"the first page touched {buffers} buffers for {PageSize} entries");
    }
}
