using Dispatch.Grains.Postgres;
using Npgsql;

namespace Dispatch.Grains.Aggregation;

/// <summary>PostgreSQL: the table <c>dispatch_task_estimates</c> (migration 0017), replaced per project in one transaction.</summary>
public sealed class PostgresTaskEstimateStore(NpgsqlDataSource dataSource) : ITaskEstimateStore
{
    /// <summary>Rows per insert statement: set-based, and bounded so that one statement's arrays stay small.</summary>
    private const int Batch = 10_000;

    private const string DeleteProject = "DELETE FROM dispatch_task_estimates WHERE project_id = @project";

    private const string Insert = """
        INSERT INTO dispatch_task_estimates (project_id, task_id, value_json, confidence)
        SELECT @project, e.task_id, e.value_json, e.confidence
        FROM unnest(@tasks, @values, @confidences) AS e(task_id, value_json, confidence)
        """;

    private const string Select = """
        SELECT task_id, value_json, confidence FROM dispatch_task_estimates
        WHERE project_id = @project AND task_id = ANY(@tasks)
        """;

    public Task ReplaceAsync(string projectId, IReadOnlyList<TaskEstimate> estimates, CancellationToken cancellationToken = default) =>
        dataSource.OnConnectionAsync(connection => ReplaceOnAsync(connection, projectId, estimates, cancellationToken), cancellationToken);

    private static async Task ReplaceOnAsync(NpgsqlConnection connection, string projectId, IReadOnlyList<TaskEstimate> estimates, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand(DeleteProject, connection, transaction))
        {
            delete.Parameters.AddWithValue("project", projectId);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var chunk in estimates.Chunk(Batch))
        {
            await using var insert = new NpgsqlCommand(Insert, connection, transaction);
            insert.Parameters.AddWithValue("project", projectId);
            insert.Parameters.AddWithValue("tasks", chunk.Select(e => e.TaskId).ToArray());
            insert.Parameters.AddWithValue("values", chunk.Select(e => e.ValueJson).ToArray());
            insert.Parameters.AddWithValue("confidences", chunk.Select(e => e.Confidence).ToArray());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, TaskEstimate>> GetAsync(string projectId, IReadOnlyCollection<string> taskIds, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(Select);
        command.Parameters.AddWithValue("project", projectId);
        command.Parameters.AddWithValue("tasks", taskIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var found = new Dictionary<string, TaskEstimate>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var taskId = reader.GetString(reader.GetOrdinal("task_id"));
            found[taskId] = new TaskEstimate(taskId, reader.GetString(reader.GetOrdinal("value_json")), reader.GetDouble(reader.GetOrdinal("confidence")));
        }

        return found;
    }
}
