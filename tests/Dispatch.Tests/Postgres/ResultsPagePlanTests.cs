using System.Text.Json;
using Dispatch.Grains.Postgres;
using Dispatch.Grains.Storage;
using Dispatch.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// A page of the results export reads each of its tasks' accepted submissions through the primary key. A planner
/// without fresh statistics (a table a crowd has just filled) once chose the (project, state, ...) index instead and
/// walked every accepted submission of the project for each task of the page: 1.6 s a page of 1,000 in the benchmark.
/// Counted in buffers touched, which do not depend on how busy the machine is.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ResultsPagePlanTests(PostgresServer postgres)
{
    private const int Completed = 20_000;
    private const int PageSize = 1_000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResultsPage_TouchesAFewPagesPerTask_InAProjectWithManyResults(bool analyzed)
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        await Sql.ExecuteAsync(
            connectionString,
            $"""
            INSERT INTO dispatch_tasks (project_id, task_id, shard, priority, payload, created_at, state, completed_at)
            SELECT 'big', 't' || n, n % 4, 0, '{"{"}"n": 1{"}"}', now(), 1, now() - interval '1 hour' + n * interval '1 ms'
            FROM generate_series(1, {Completed}) AS n;
            INSERT INTO dispatch_submissions (project_id, task_id, shard, worker_id, lease_id, result, submitted_at, reward, state)
            SELECT 'big', 't' || n, n % 4, 'w' || n, 'l' || n, '{"{"}"label": 1{"}"}', now() - interval '1 hour', 0, 1
            FROM generate_series(1, {Completed}) AS n;
            """);
        if (analyzed)
        {
            await Sql.ExecuteAsync(connectionString, "ANALYZE dispatch_tasks; ANALYZE dispatch_submissions;");
        }

        var (rows, buffers) = await ExplainAsync(connectionString);

        Assert.Equal(PageSize, rows);
        // A key probe per task touches a handful of pages; walking 20,000 accepted submissions per task touches millions.
        Assert.True(buffers <= 12 * PageSize, $"the results page touched {buffers} buffers for {PageSize} tasks");
    }

    private static async Task<(long Rows, long Buffers)> ExplainAsync(string connectionString)
    {
        await using var connection = await Sql.OpenAsync(connectionString);
        var statements = PostgresTaskSql.ListCompleted.Split(';', 2);
        await using var command = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statements[0], connection);
        command.Parameters.AddWithValue("project", "big");
        command.Parameters.Add(new NpgsqlParameter("after_at", NpgsqlDbType.TimestampTz) { Value = DateTime.MinValue.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("after_task", NpgsqlDbType.Text) { Value = "" });
        command.Parameters.AddWithValue("limit", PageSize);
        command.Parameters.AddWithValue("max_bytes", 4L * 1024 * 1024);
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
        return (plan.GetProperty("Actual Rows").GetInt64(), plan.GetProperty("Shared Hit Blocks").GetInt64() + plan.GetProperty("Shared Read Blocks").GetInt64());
    }
}
