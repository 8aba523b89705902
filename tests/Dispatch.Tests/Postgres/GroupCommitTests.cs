using Dispatch.Grains.Storage;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Postgres;

/// <summary>Group commit: many writers' items in one set-based statement, each answered by its own outcome.</summary>
[Collection(PostgresCollection.Name)]
public sealed class GroupCommitTests(PostgresServer server)
{
    [Fact]
    public async Task ConcurrentWrites_AreAllStored_AndAConflictOrFaultFailsOnlyItsOwnWrite()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await Sql.ExecuteAsync(connectionString, "CREATE TABLE counters (id int PRIMARY KEY, version bigint NOT NULL)");
        await Sql.ExecuteAsync(connectionString, "INSERT INTO counters SELECT g, 1 FROM generate_series(1, 410) g");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var batches = 0;
        await using var commits = new GroupCommit<Bump, long?>(dataSource, (connection, items, cancellationToken) =>
        {
            Interlocked.Increment(ref batches);
            return BumpAllAsync(connection, items, cancellationToken);
        }, maxBatch: 256, writers: 2, deadline: TimeSpan.FromSeconds(30));

        // 400 good writes, 50 with a stale version (no row back), 10 whose divisor makes PostgreSQL fail the statement.
        var good = Enumerable.Range(1, 400).Select(id => commits.WriteAsync(new Bump(id, Expected: 1, Divisor: 1))).ToList();
        var stale = Enumerable.Range(1, 50).Select(id => commits.WriteAsync(new Bump(id, Expected: 99, Divisor: 1))).ToList();
        var faulty = Enumerable.Range(401, 10).Select(id => commits.WriteAsync(new Bump(id, Expected: 1, Divisor: 0))).ToList();

        Assert.All(await Task.WhenAll(good), version => Assert.Equal(2, version));
        Assert.All(await Task.WhenAll(stale), Assert.Null);
        foreach (var failure in faulty)
        {
            await Assert.ThrowsAsync<PostgresException>(() => failure);
        }

        Assert.Equal("400", (await Sql.ReadStringsAsync(connectionString, "SELECT count(*) FROM counters WHERE version = 2")).Single());

        // Written together, not one by one: far fewer batches than items (the failing ones are retried alone).
        Assert.True(batches < 460 / 2, $"{batches} batches for 460 writes");
    }

    [Fact]
    public async Task AWriteTheDatabaseCannotTakeBeforeItsDeadline_IsNeverStored_AndItsCallerHearsATimeout()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await Sql.ExecuteAsync(connectionString, "CREATE TABLE counters (id int PRIMARY KEY, version bigint NOT NULL)");
        await Sql.ExecuteAsync(connectionString, "INSERT INTO counters SELECT g, 1 FROM generate_series(1, 3) g");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var commits = new GroupCommit<Bump, long?>(dataSource, BumpAllAsync, maxBatch: 256, writers: 1, deadline: TimeSpan.FromSeconds(1));

        // Another session holds rows 1 and 2, as a stuck database would: the writes wait on it past their deadline.
        await using var blocker = await Sql.OpenAsync(connectionString);
        await using var holding = await blocker.BeginTransactionAsync();
        await using (var lockRows = new NpgsqlCommand("SELECT id FROM counters WHERE id IN (1, 2) FOR UPDATE", blocker, holding))
        {
            await lockRows.ExecuteNonQueryAsync();
        }

        var stuck = commits.WriteAsync(new Bump(1, Expected: 1, Divisor: 1));
        var queuedBehind = commits.WriteAsync(new Bump(2, Expected: 1, Divisor: 1));
        await Assert.ThrowsAsync<TimeoutException>(() => stuck);
        await Assert.ThrowsAsync<TimeoutException>(() => queuedBehind);

        // The database comes back: nothing given up is written afterwards, and the writer goes on with new work.
        await holding.CommitAsync();
        Assert.Equal(2, await commits.WriteAsync(new Bump(3, Expected: 1, Divisor: 1)));
        Assert.Equal(["1", "1", "2"], await Sql.ReadStringsAsync(connectionString, "SELECT version FROM counters ORDER BY id"));
    }

    private sealed record Bump(int Id, long Expected, int Divisor);

    private static async Task<long?[]> BumpAllAsync(NpgsqlConnection connection, IReadOnlyList<Bump> items, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE counters c SET version = c.version + 1 / b.divisor
            FROM unnest(@ids, @expected, @divisors) WITH ORDINALITY AS b(id, expected, divisor, idx)
            WHERE c.id = b.id AND c.version = b.expected
            RETURNING b.idx, c.version
            """, connection);
        command.Parameters.AddWithValue("ids", items.Select(i => i.Id).ToArray());
        command.Parameters.AddWithValue("expected", items.Select(i => i.Expected).ToArray());
        command.Parameters.AddWithValue("divisors", items.Select(i => i.Divisor).ToArray());
        var answers = new long?[items.Count];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync())
        {
            answers[reader.GetInt64(0) - 1] = reader.GetInt64(1);
        }

        return answers;
    }
}
