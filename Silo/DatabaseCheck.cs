using System.Net.Sockets;
using Dispatch.Grains;
using Npgsql;

namespace Dispatch.Silo;

/// <summary>
/// Opens one connection to the PostgreSQL database the configuration names before the silo starts, and when that
/// fails says in one log line what is wrong and how to fix it. Started anyway, the silo would die in its first
/// lifecycle stage with a long stack trace that says neither.
/// </summary>
public static partial class DatabaseCheck
{
    private const string Category = "Dispatch.Silo.DatabaseCheck";

    /// <summary>True when nothing runs on PostgreSQL or its database opens; false after logging why it does not.</summary>
    public static async Task<bool> PassesAsync(WebApplication app)
    {
        var section = app.Configuration.GetSection(DispatchOptions.Section);
        var onPostgres = section.GetValue(nameof(DispatchOptions.Storage), StorageMode.Memory) == StorageMode.Postgres
            || section.GetValue(nameof(DispatchOptions.Clustering), ClusteringMode.Localhost) == ClusteringMode.Postgres;
        var connectionString = app.Configuration.GetConnectionString("Dispatch");
        if (!onPostgres || string.IsNullOrWhiteSpace(connectionString))
        {
            // Without a connection string the options' own check has already stopped the host with a sentence.
            return true;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        NpgsqlConnectionStringBuilder target;
        try
        {
            target = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        }
        catch (ArgumentException e)
        {
            LogMalformed(logger, e.Message);
            return false;
        }

        var host = target.Host ?? "localhost";
        var server = $"{host}:{target.Port}";
        var user = target.Username ?? Environment.UserName;
        var database = target.Database ?? user;
        try
        {
            await using var connection = new NpgsqlConnection(target.ConnectionString);
            await connection.OpenAsync(app.Lifetime.ApplicationStopping);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            LogMissingDatabase(logger, server, database, $"psql -h {host} -p {target.Port} -U postgres -c 'CREATE DATABASE \"{database}\" OWNER \"{user}\"'");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            LogRefusedUser(logger, server, user, database, e.MessageText);
        }
        catch (PostgresException e)
        {
            LogRefused(logger, server, database, e.SqlState, e.MessageText);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            LogUnreachable(logger, server, (e.InnerException ?? e).Message);
        }

        return false;
    }
}
