using Dispatch.Grains.Storage;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Postgres;

/// <summary>Group commit: many writers' changes in one round trip, each answered by its own outcome.</summary>
[Collection(PostgresCollection.Name)]
public sealed class WriteBatcherTests(PostgresServer server)
{
    [Fact]
    public async Task ConcurrentWrites_AreAllStored_AndAConflictOrFaultFailsOnlyItsOwnWrite()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await Sql.ExecuteAsync(connectionString, "CREATE TABLE counters (id int PRIMARY KEY, version bigint NOT NULL)");
        await Sql.ExecuteAsync(connectionString, "INSERT INTO counters SELECT g, 1 FROM generate_series(1, 400) g");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var batcher = new PostgresWriteBatcher(dataSource);

        // 400 good writes, 50 with a stale version (no row back), 10 that fail in PostgreSQL (division by zero).
        var good = Enumerable.Range(1, 400).Select(id => batcher.WriteAsync([Bump(id, expected: 1)], lockKey: null)).ToList();
        var stale = Enumerable.Range(1, 50).Select(id => batcher.WriteAsync([Bump(id, expected: 99)], lockKey: null)).ToList();
        var faulty = Enumerable.Range(0, 10).Select(_ => batcher.WriteAsync([new NpgsqlBatchCommand("SELECT 1 / 0")], lockKey: null)).ToList();

        Assert.All(await Task.WhenAll(good), version => Assert.Equal(2, version));
        Assert.All(await Task.WhenAll(stale), Assert.Null);
        foreach (var failure in faulty)
        {
            await Assert.ThrowsAsync<PostgresException>(() => failure);
        }

        Assert.Equal("400", (await Sql.ReadStringsAsync(connectionString, "SELECT count(*) FROM counters WHERE version = 2")).Single());
    }

    private static NpgsqlBatchCommand Bump(int id, long expected)
    {
        var command = new NpgsqlBatchCommand("UPDATE counters SET version = version + 1 WHERE id = @id AND version = @expected RETURNING version");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("expected", expected);
        return command;
    }
}
