using System.Data;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dispatch.Grains.Postgres;

/// <summary>
/// Brings a PostgreSQL database up to the schema Dispatch needs: the tables and query catalogue of the Orleans ADO.NET
/// providers (clustering, grain storage, reminders) and Dispatch's own tables.
/// </summary>
/// <remarks>
/// <para>
/// The scripts are the embedded resources <c>Postgres/Migrations/*.sql</c> of this assembly, applied in ordinal order
/// of their file names (hence the zero-padded numbers). Each script runs once, in its own transaction, and is recorded
/// in <c>dispatch_schema_migrations</c> by its file name without extension in that same transaction; a script that
/// fails leaves nothing behind and stops the migration with the error. A recorded script is never run again, so a
/// change to the schema is a new script, never an edit of an applied one. Scripts must not control transactions
/// themselves (no <c>COMMIT</c>, no <c>CREATE INDEX CONCURRENTLY</c>).
/// </para>
/// <para>
/// Silos that start together serialize on a session advisory lock (<see cref="AdvisoryLockKey"/>), taken on the
/// migration's own unpooled connection, so the first applies the scripts and the others then find them recorded.
/// Running it on an up-to-date database changes nothing.
/// </para>
/// </remarks>
public static partial class SchemaMigrator
{
    /// <summary>
    /// The <c>pg_advisory_lock</c> key that serializes migrations: the ASCII bytes of "DISPATCH" as a bigint. Advisory
    /// locks are per database, so migrations of different databases on one server do not wait for each other.
    /// </summary>
    public const long AdvisoryLockKey = 0x4449_5350_4154_4348;

    private const string ResourcePrefix = "Dispatch.Grains.Postgres.Migrations.";
    private const string ResourceSuffix = ".sql";

    /// <summary>Applies every embedded script that the database has not recorded yet.</summary>
    /// <param name="connectionString">An Npgsql connection string to the target database, which must exist.</param>
    /// <param name="cancellationToken">Cancels the wait for the lock and the running script.</param>
    public static Task MigrateAsync(string connectionString, CancellationToken cancellationToken = default) =>
        MigrateAsync(connectionString, logger: null, cancellationToken);

    /// <summary>Applies every embedded script that the database has not recorded yet, logging each one applied.</summary>
    /// <param name="connectionString">An Npgsql connection string to the target database, which must exist.</param>
    /// <param name="logger">Where to log the scripts applied; <see langword="null"/> logs nothing.</param>
    /// <param name="cancellationToken">Cancels the wait for the lock and the running script.</param>
    public static async Task MigrateAsync(string connectionString, ILogger? logger, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // Unpooled: a session lock lives as long as the physical connection, and a pooled one would outlive Dispose
        // if the unlock below never ran.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(
                connection,
                """
                CREATE TABLE IF NOT EXISTS dispatch_schema_migrations (
                    version    text        PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            foreach (var script in Scripts)
            {
                if (applied.Contains(script.Version))
                {
                    continue;
                }

                await ApplyAsync(connection, script, cancellationToken);
                if (logger is not null)
                {
                    LogScriptApplied(logger, script.Version, connection.Database);
                }
            }
        }
        finally
        {
            await ReleaseLockAsync(connection);
        }
    }

    /// <summary>The embedded scripts in the order they are applied, each with the version it is recorded under.</summary>
    internal static IReadOnlyList<MigrationScript> Scripts { get; } = LoadScripts();

    private static async Task ApplyAsync(NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var command = new NpgsqlCommand(script.Sql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO dispatch_schema_migrations (version) VALUES (@version)", connection, transaction))
        {
            record.Parameters.AddWithValue("version", script.Version);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ReleaseLockAsync(NpgsqlConnection connection)
    {
        if (connection.State != ConnectionState.Open)
        {
            return; // A broken session has lost its lock with it.
        }

        try
        {
            // Not cancellable: the lock must go even when the migration was cancelled.
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The connection broke while unlocking; the server drops the lock with the session, and the error that
            // brought us here (if any) is the one worth reporting.
        }
    }

    private static async Task<HashSet<string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT version FROM dispatch_schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetString(0));
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static MigrationScript[] LoadScripts()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                && name.EndsWith(ResourceSuffix, StringComparison.Ordinal))
            .Select(name => new MigrationScript(name[ResourcePrefix.Length..^ResourceSuffix.Length], ReadResource(assembly, name)))
            .OrderBy(script => script.Version, StringComparer.Ordinal)
            .ToArray();
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded migration '{name}' cannot be read.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>One embedded script: its file name without extension, and its text.</summary>
    internal sealed record MigrationScript(string Version, string Sql);
}
