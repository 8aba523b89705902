using Dispatch.Tests.Cluster;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Operations;

/// <summary>
/// A host started against a PostgreSQL database it cannot use (missing, a user the server refuses, no server at that
/// address) exits with a non-zero code and one log line that says what is wrong and how to fix it: no stack trace.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StartupDatabaseTests(PostgresServer postgres)
{
    [Fact]
    public async Task MissingDatabase_ExitsNonZero_SayingWhichCreateDatabaseToRun()
    {
        var missing = "missing_" + Guid.NewGuid().ToString("N");
        var connectionString = Change(await postgres.CreateDatabaseAsync(), b => b.Database = missing);

        await AssertRefusedAsync(connectionString, $"CREATE DATABASE \"{missing}\"");
    }

    [Fact]
    public async Task UserTheServerRefuses_ExitsNonZero_SayingWhatToCheck()
    {
        var user = "nobody_" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = Change(await postgres.CreateDatabaseAsync(), b => b.Username = user);

        await AssertRefusedAsync(connectionString, $"refused user '{user}'", "ConnectionStrings:Dispatch");
    }

    [Fact]
    public async Task UnreachableServer_ExitsNonZero_SayingWhereItLooked()
    {
        var port = Ports.Free();
        var connectionString = Change(await postgres.CreateDatabaseAsync(), b => b.Port = port);

        await AssertRefusedAsync(connectionString, $"Cannot reach PostgreSQL at 127.0.0.1:{port}", "ConnectionStrings:Dispatch");
    }

    private static string Change(string connectionString, Action<NpgsqlConnectionStringBuilder> change)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        change(builder);
        return builder.ConnectionString;
    }

    private static async Task AssertRefusedAsync(string connectionString, params string[] expected)
    {
        var settings = new SiloSettings
        {
            AdminKey = "startup-admin-" + Guid.NewGuid().ToString("N"),
            ConnectionString = connectionString,
            ClusterId = "startup-" + Guid.NewGuid().ToString("N")[..12],
            ServiceId = "startup-" + Guid.NewGuid().ToString("N")[..12],
            SiloPort = Ports.Free(),
            GatewayPort = Ports.Free(),
            HttpPort = Ports.Free(),
        };
        await using var silo = SiloProcess.Launch("startup", settings);

        var exitCode = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var log = silo.LogTail(60);
        Assert.True(exitCode is { } code && code != 0, $"expected a non-zero exit within 60 s, got {exitCode?.ToString() ?? "none (still running)"}{Environment.NewLine}{log}");
        var said = silo.LogLines(l => l.Contains("crit:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal));
        var line = Assert.Single(said);
        Assert.All(expected, e => Assert.Contains(e, line, StringComparison.Ordinal));
        Assert.Empty(silo.LogLines(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal)));
    }
}
