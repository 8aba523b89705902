using System.Text.Json;
using Dispatch.Grains.Postgres;
using Dispatch.Grains.Storage;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// A shard reads its page of seeds on the claim path, so the read must cost the page, never the project: a plan that
/// walks every open task of the project turns a crowd working through a big project into a quadratic load on
/// PostgreSQL. Counted in buffers touched, which do not depend on how busy the machine is.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SeedReadPlanTests(PostgresServer postgres)
{
    private const int PageSize = 256;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SeedPage_TouchesAFewPagesPerTask_InABigProject_WhateverTheStatisticsSay(bool statisticsSayAllCompleted)
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        await Sql.ExecuteAsync(
            connectionString,
            """
            INSERT INTO dispatch_tasks (project_id, task_id, shard, priority, payload, created_at)
            SELECT 'big', 't' || n, n % 4, 0, '{"n": 1}', now() FROM generate_series(1, 50000) AS n;
            """);
        if (statisticsSayAllCompleted)
        {
            // What a crowd leaves behind: statistics taken when nearly every task was done, stale once a new batch
            // is open. The open-task index then looks tiny to the planner.
            await Sql.ExecuteAsync(connectionString, "UPDATE dispatch_tasks SET state = 1; ANALYZE dispatch_tasks; UPDATE dispatch_tasks SET state = 0;");
        }
        else
        {
            await Sql.ExecuteAsync(connectionString, "ANALYZE dispatch_tasks");
        }

        var ids = Enumerable.Range(20000, PageSize).Select(n => "t" + n).ToArray();
        var (rows, buffers) = await ExplainAsync(connectionString, ids);

        Assert.Equal(PageSize, rows);
        // A key probe touches a handful of index and heap pages; walking 50,000 open tasks touches thousands.
        Assert.True(buffers <= 12 * PageSize, $"the seed page touched {buffers} buffers for {PageSize} tasks");
    }

    private static async Task<(long Rows, long Buffers)> ExplainAsync(string connectionString, string[] ids)
    {
        await using var connection = await Sql.OpenAsync(connectionString);
        await using var command = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + PostgresTaskSql.Seeds, connection);
        command.Parameters.AddWithValue("project", "big");
        command.Parameters.AddWithValue("ids", ids);
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
        return (plan.GetProperty("Actual Rows").GetInt64(), plan.GetProperty("Shared Hit Blocks").GetInt64() + plan.GetProperty("Shared Read Blocks").GetInt64());
    }
}
