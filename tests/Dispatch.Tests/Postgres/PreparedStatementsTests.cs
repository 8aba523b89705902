using Dispatch.Grains.Storage;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// A write that PostgreSQL refuses on the very execution that prepares its statement must not spoil the pooled
/// connection for the writes after it (npgsql/npgsql#6391: the next use read "unexpected backend message DataRow").
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PreparedStatementsTests(PostgresServer server)
{
    [Fact]
    public async Task AWriteRefusedWhileItsStatementWasPrepared_LeavesTheConnectionGoodForTheNextWrite()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await Sql.ExecuteAsync(connectionString, "CREATE TABLE counters (id int PRIMARY KEY, version bigint NOT NULL)");
        await Sql.ExecuteAsync(connectionString, "INSERT INTO counters VALUES (1, 1)");

        // One connection, and every statement prepared on its first execution: the refused write is the one that prepares.
        var preparing = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 1, MaxAutoPrepare = 10, AutoPrepareMinUsages = 1 };
        await using var dataSource = NpgsqlDataSource.Create(preparing.ConnectionString);
        await using var commits = new GroupCommit<int, long>(dataSource, BumpAsync, maxBatch: 1, writers: 1, deadline: TimeSpan.FromSeconds(30));

        await Assert.ThrowsAsync<PostgresException>(() => commits.WriteAsync(0));

        Assert.Equal(2, await commits.WriteAsync(1));
        Assert.Equal(3, await commits.WriteAsync(1));
        Assert.Equal("3", (await Sql.ReadStringsAsync(connectionString, "SELECT version FROM counters WHERE id = 1")).Single());
    }

    /// <summary>Bumps counter 1 in a transaction; a divisor of 0 makes PostgreSQL refuse the statement.</summary>
    private static async Task<long[]> BumpAsync(NpgsqlConnection connection, IReadOnlyList<int> divisors, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var versions = new long[divisors.Count];
        for (var i = 0; i < divisors.Count; i++)
        {
            await using var bump = new NpgsqlCommand("UPDATE counters SET version = version + 1 WHERE id = 1 AND 1 / @divisor = 1 RETURNING version", connection, transaction);
            bump.Parameters.AddWithValue("divisor", divisors[i]);
            versions[i] = (long)(await bump.ExecuteScalarAsync(cancellationToken))!;
        }

        await transaction.CommitAsync(cancellationToken);
        return versions;
    }
}
