using Npgsql;

namespace Dispatch.Tests.Cluster;

/// <summary>A project's counts as its tables hold them.</summary>
public sealed record StoredCounts(long Open, long Completed, long DeadLettered, long ActiveLeases, long Submissions)
{
    public override string ToString() =>
        $"open {Open}, completed {Completed}, deadLettered {DeadLettered}, activeLeases {ActiveLeases}, submissions {Submissions}";
}

/// <summary>
/// What a cluster's database holds, read straight from its tables: the truth that the views served over HTTP (which
/// grains keep in memory) must come back to after a fault.
/// </summary>
public static class StoredTruth
{
    public static async Task<StoredCounts> CountsAsync(string connectionString, string projectId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM dispatch_tasks WHERE project_id = @project AND state = 0),
                   (SELECT count(*) FROM dispatch_tasks WHERE project_id = @project AND state = 1),
                   (SELECT count(*) FROM dispatch_tasks WHERE project_id = @project AND state = 2),
                   (SELECT count(*) FROM dispatch_leases WHERE project_id = @project AND state = 0),
                   (SELECT count(*) FROM dispatch_submissions WHERE project_id = @project)
            """, connection);
        command.Parameters.AddWithValue("project", projectId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new StoredCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    /// <summary>The rewards of each worker's accepted submissions, summed: what its earnings are without bonuses.</summary>
    public static async Task<Dictionary<string, decimal>> AcceptedRewardsAsync(string connectionString, IEnumerable<string> workerIds)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT worker_id, sum(reward) FROM dispatch_submissions WHERE state = 1 AND worker_id = ANY(@workers) GROUP BY worker_id", connection);
        command.Parameters.AddWithValue("workers", workerIds.ToArray());
        var rewards = new Dictionary<string, decimal>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rewards[reader.GetString(0)] = reader.GetDecimal(1);
        }

        return rewards;
    }
}
