using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresServer server)
{
    [Fact]
    public async Task StopThenStart_RefusesConnectionsMeanwhileAndKeepsPortAndData()
    {
        // Unpooled, so that every step below really connects.
        var connectionString = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync()) { Pooling = false }.ConnectionString;
        await Sql.ExecuteAsync(connectionString, "CREATE TABLE kept (value integer); INSERT INTO kept VALUES (42)");
        var port = server.Port;

        await server.StopAsync();
        try
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => Sql.OpenAsync(connectionString));
        }
        finally
        {
            await server.StartAsync();
        }

        Assert.Equal(port, server.Port);
        Assert.Equal(42, await Sql.ScalarAsync<int>(connectionString, "SELECT value FROM kept"));
    }

    [Fact]
    public async Task CreateDatabaseAsync_GivesEachCallItsOwnDatabase()
    {
        var first = await server.CreateDatabaseAsync();
        var second = await server.CreateDatabaseAsync();
        await Sql.ExecuteAsync(first, "CREATE TABLE only_here (value integer)");

        Assert.Equal(20, new NpgsqlConnectionStringBuilder(first).MaxPoolSize);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(second, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_here'"));
        Assert.Equal("on", await Sql.ScalarAsync<string>(first, "SHOW fsync"));
        Assert.Equal("300", await Sql.ScalarAsync<string>(first, "SHOW max_connections"));
        Assert.Equal("127.0.0.1", await Sql.ScalarAsync<string>(first, "SHOW listen_addresses"));
    }
}
