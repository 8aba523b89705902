using Dispatch.Grains.Postgres;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class SchemaMigratorTests(PostgresServer server)
{
    /// <summary>Every key each Orleans ADO.NET provider looks up in OrleansQuery (10.x), required or optional.</summary>
    public static readonly string[] OrleansQueryKeys =
    [
        // Persistence (DeleteStorageKey is optional, for DeleteStateOnClear).
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        // Clustering (CleanupDefunctSiloEntryKey is optional, preferred when present).
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey", "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
        // Reminders.
        "ReadReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey", "UpsertReminderRowKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    private static readonly string[] OrleansTables =
    [
        "orleansquery", "orleans_grain_state", "orleans_membership_version", "orleans_membership", "orleans_reminders",
    ];

    private static readonly string[] OrleansScripts =
    [
        "0001_orleans_base", "0002_orleans_persistence", "0003_orleans_clustering", "0004_orleans_reminders",
    ];

    [Fact]
    public void Scripts_AreTheEmbeddedFilesInOrdinalOrder()
    {
        var versions = SchemaMigrator.Scripts.Select(s => s.Version).ToList();

        Assert.Equal(versions.Order(StringComparer.Ordinal), versions);
        Assert.Equal(OrleansScripts, versions.Take(OrleansScripts.Length));
        Assert.All(SchemaMigrator.Scripts, s => Assert.False(string.IsNullOrWhiteSpace(s.Sql)));
    }

    [Fact]
    public async Task MigrateAsync_OnEmptyDatabase_CreatesTablesQueriesAndRecordsEveryScript()
    {
        var connectionString = await server.CreateDatabaseAsync();

        await SchemaMigrator.MigrateAsync(connectionString);

        var tables = await Sql.ReadStringsAsync(connectionString, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
        Assert.All(OrleansTables.Append("dispatch_schema_migrations"), table => Assert.Contains(table, tables));

        // Exactly the keys the providers look up, each with a text (and no stray duplicates under other spellings).
        var keys = await Sql.ReadStringsAsync(connectionString, "SELECT QueryKey FROM OrleansQuery WHERE length(trim(QueryText)) > 0");
        Assert.Equal(OrleansQueryKeys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));

        var recorded = await Sql.ReadStringsAsync(connectionString, "SELECT version FROM dispatch_schema_migrations ORDER BY version");
        Assert.Equal(SchemaMigrator.Scripts.Select(s => s.Version), recorded);
    }

    [Fact]
    public async Task MigrateAsync_RunAgain_ChangesNothing()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        var before = await SnapshotAsync(connectionString);

        for (var run = 0; run < 3; run++)
        {
            await SchemaMigrator.MigrateAsync(connectionString);
        }

        Assert.Equal(before, await SnapshotAsync(connectionString));
    }

    [Fact]
    public async Task MigrateAsync_FourConcurrentCallsOnFreshDatabase_AllSucceedAndEachScriptIsRecordedOnce()
    {
        var connectionString = await server.CreateDatabaseAsync();

        // Start them together, as four silos booting on an empty database would.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = Enumerable.Range(0, 4)
            .Select(_ => Task.Run(async () =>
            {
                await go.Task;
                await SchemaMigrator.MigrateAsync(connectionString);
            }))
            .ToArray();
        go.SetResult();
        await Task.WhenAll(runs);

        var recorded = await Sql.ReadStringsAsync(connectionString, "SELECT version FROM dispatch_schema_migrations ORDER BY version");
        Assert.Equal(SchemaMigrator.Scripts.Select(s => s.Version), recorded);
        var queries = await Sql.ReadStringsAsync(connectionString, "SELECT QueryKey FROM OrleansQuery");
        Assert.Equal(OrleansQueryKeys.Length, queries.Count);
    }

    [Fact]
    public async Task MigrateAsync_AfterAnotherSessionTookTheLock_WaitsForIt()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var holder = await Sql.OpenAsync(connectionString);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({SchemaMigrator.AdvisoryLockKey})", holder))
        {
            await take.ExecuteNonQueryAsync();
        }

        var migration = SchemaMigrator.MigrateAsync(connectionString);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(migration.IsCompleted);

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({SchemaMigrator.AdvisoryLockKey})", holder))
        {
            await release.ExecuteNonQueryAsync();
        }

        await migration.WaitAsync(TimeSpan.FromSeconds(30));
        var recorded = await Sql.ReadStringsAsync(connectionString, "SELECT version FROM dispatch_schema_migrations");
        Assert.Equal(SchemaMigrator.Scripts.Count, recorded.Count);
    }

    /// <summary>What a second run must not change: the recorded scripts with their times, the query catalogue and the columns.</summary>
    private static async Task<string> SnapshotAsync(string connectionString)
    {
        var migrations = await Sql.ReadStringsAsync(
            connectionString, "SELECT version || '@' || applied_at::text FROM dispatch_schema_migrations ORDER BY version");
        var queries = await Sql.ReadStringsAsync(connectionString, "SELECT QueryKey || ':' || md5(QueryText) FROM OrleansQuery ORDER BY QueryKey");
        var columns = await Sql.ReadStringsAsync(
            connectionString,
            """
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
            FROM information_schema.columns
            WHERE table_schema = 'public'
            ORDER BY table_name, ordinal_position
            """);
        return string.Join('\n', migrations.Concat(queries).Concat(columns));
    }
}
