using System.Globalization;
using Dispatch.Grains.Postgres;
using Dispatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// The Orleans ADO.NET providers running for real on a freshly migrated database: grain storage and reminders in an
/// <see cref="InProcessTestCluster"/>, clustering in a <see cref="TestCluster"/> (see <see cref="StartMembershipClusterAsync"/>).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansProvidersOnPostgresTests(PostgresServer server)
{
    private const string Invariant = "Npgsql";

    /// <summary>A second storage that deletes the row on clear (the optional DeleteStorageKey).</summary>
    private const string DeletingStorageName = "dispatch-deleting";

    [Fact]
    public async Task GrainState_AfterClusterRestart_ReadsBackFromPostgres()
    {
        var connectionString = await MigratedDatabaseAsync();
        var serviceId = NewServiceId();

        await using (var cluster = await StartStorageClusterAsync(connectionString, serviceId))
        {
            var grain = cluster.Client.GetGrain<IProbeGrain>("restart");
            await grain.WriteAsync("first");
            await grain.WriteAsync("second");
        }

        var stored = await Sql.ReadStringsAsync(
            connectionString,
            "SELECT version FROM orleans_grain_state WHERE service_id = @s AND grain_type = @t AND payload_binary IS NOT NULL",
            ("s", serviceId),
            ("t", ProbeGrain.StateName));
        Assert.Equal(["2"], stored);

        await using (var cluster = await StartStorageClusterAsync(connectionString, serviceId))
        {
            Assert.Equal(new ProbeSnapshot("second", RecordExists: true, ETag: "2"), await cluster.Client.GetGrain<IProbeGrain>("restart").ReadAsync());
            Assert.Equal(new ProbeSnapshot(null, RecordExists: false, ETag: null), await cluster.Client.GetGrain<IProbeGrain>("never-written").ReadAsync());
        }

        // State is the service's: another service id on the same database starts empty.
        await using (var cluster = await StartStorageClusterAsync(connectionString, NewServiceId()))
        {
            Assert.Equal(new ProbeSnapshot(null, RecordExists: false, ETag: null), await cluster.Client.GetGrain<IProbeGrain>("restart").ReadAsync());
        }
    }

    [Fact]
    public async Task WriteState_AfterTheRowChangedBehindTheGrain_ThrowsInconsistentStateExceptionAndRecovers()
    {
        var connectionString = await MigratedDatabaseAsync();
        var serviceId = NewServiceId();
        await using var cluster = await StartStorageClusterAsync(connectionString, serviceId);
        var grain = cluster.Client.GetGrain<IProbeGrain>("stale");
        await grain.WriteAsync("mine");

        // Another writer (say a duplicate activation during a partition) moves the version.
        var changed = await Sql.ExecuteAsync(
            connectionString,
            "UPDATE orleans_grain_state SET version = version + 1 WHERE service_id = @s",
            ("s", serviceId));
        Assert.Equal(1, changed);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.WriteAsync("lost"));

        // Orleans drops the activation on that exception; the next one reads the stored state and can write again.
        Assert.Equal(new ProbeSnapshot("mine", RecordExists: true, ETag: "2"), await grain.ReadAsync());
        await grain.WriteAsync("again");
        Assert.Equal("3", (await grain.ReadAsync()).ETag);
    }

    [Fact]
    public async Task GrainStorage_ETagContract_RefusesEveryStaleOrBlindWrite()
    {
        var connectionString = await MigratedDatabaseAsync();
        await using var cluster = await StartStorageClusterAsync(connectionString, NewServiceId());
        var storage = cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(ProbeGrain.StorageName);
        var grainId = GrainId.Create("probe", "direct");
        const string StateName = "direct";

        var first = new GrainState<ProbeState>(new ProbeState { Value = "a" });
        await storage.WriteStateAsync(StateName, grainId, first);
        Assert.Equal("1", first.ETag);

        // A hash collision: another key with the same hashes must be told apart by the exact key columns.
        Assert.Equal(1, await Sql.ExecuteAsync(
            connectionString,
            """
            INSERT INTO orleans_grain_state
                (grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension, payload_binary, version)
            SELECT grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, 'colliding-key', NULL, 1
            FROM orleans_grain_state
            WHERE grain_type = @t
            """,
            ("t", StateName)));

        // No ETag while a row exists: a second activation that never read must not overwrite the first.
        var blind = new GrainState<ProbeState>(new ProbeState { Value = "b" });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, blind));

        // A wrong ETag, for a write and for a clear.
        var stale = new GrainState<ProbeState>(new ProbeState { Value = "c" }) { ETag = "7" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, stale));

        var read = new GrainState<ProbeState>();
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(("a", true, "1"), (read.State?.Value, read.RecordExists, read.ETag));

        // The right ETag: update, then clear (row kept without payload, version moves on), then write again.
        first.State = new ProbeState { Value = "a2" };
        await storage.WriteStateAsync(StateName, grainId, first);
        Assert.Equal("2", first.ETag);
        await storage.ClearStateAsync(StateName, grainId, first);
        Assert.Equal(("3", false), (first.ETag, first.RecordExists));
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal((null, false, "3"), (read.State?.Value, read.RecordExists, read.ETag));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, new GrainState<ProbeState>(new ProbeState { Value = "d" }) { ETag = "2" }));
        first.State = new ProbeState { Value = "a3" };
        await storage.WriteStateAsync(StateName, grainId, first);
        Assert.Equal("4", first.ETag);
        Assert.Equal(["1"], await Sql.ReadStringsAsync(
            connectionString, "SELECT version FROM orleans_grain_state WHERE grain_id_extension = 'colliding-key'"));

        // Keys differ by more than the hashes: another key of the same state name, and a Guid key with an extension.
        var other = new GrainState<ProbeState>();
        await storage.ReadStateAsync(StateName, GrainId.Create("probe", "direct2"), other);
        Assert.False(other.RecordExists);
        var guidKey = GrainId.Create("probe", Guid.NewGuid().ToString("N") + "+ext");
        var withExtension = new GrainState<ProbeState>(new ProbeState { Value = "g" });
        await storage.WriteStateAsync(StateName, guidKey, withExtension);
        await storage.ReadStateAsync(StateName, guidKey, other);
        Assert.Equal(("g", "1"), (other.State?.Value, other.ETag));
    }

    [Fact]
    public async Task ClearState_ThroughTheGrain_LeavesNoStateForTheNextCluster()
    {
        var connectionString = await MigratedDatabaseAsync();
        var serviceId = NewServiceId();
        await using (var cluster = await StartStorageClusterAsync(connectionString, serviceId))
        {
            var grain = cluster.Client.GetGrain<IProbeGrain>("clear");
            await grain.WriteAsync("soon gone");
            await grain.ClearAsync();
            Assert.Equal(new ProbeSnapshot(null, RecordExists: false, ETag: "2"), await grain.ReadAsync());
        }

        var payloads = await Sql.ReadStringsAsync(
            connectionString, "SELECT payload_binary FROM orleans_grain_state WHERE service_id = @s", ("s", serviceId));
        Assert.Equal(["<null>"], payloads);

        await using (var cluster = await StartStorageClusterAsync(connectionString, serviceId))
        {
            var grain = cluster.Client.GetGrain<IProbeGrain>("clear");
            Assert.Equal(new ProbeSnapshot(null, RecordExists: false, ETag: "2"), await grain.ReadAsync());
            await grain.WriteAsync("back");
            Assert.Equal(new ProbeSnapshot("back", RecordExists: true, ETag: "3"), await grain.ReadAsync());
        }
    }

    [Fact]
    public async Task ClearState_WithDeleteStateOnClear_DeletesTheRow()
    {
        var connectionString = await MigratedDatabaseAsync();
        var serviceId = NewServiceId();
        await using var cluster = await StartStorageClusterAsync(connectionString, serviceId);
        var storage = cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(DeletingStorageName);
        var grainId = GrainId.Create("probe", "deleted");

        var state = new GrainState<ProbeState>(new ProbeState { Value = "x" });
        await storage.WriteStateAsync("deleted", grainId, state);
        var stale = new GrainState<ProbeState>(new ProbeState()) { ETag = "5" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("deleted", grainId, stale));

        await storage.ClearStateAsync("deleted", grainId, state);

        Assert.Equal((null, false), (state.ETag, state.RecordExists));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM orleans_grain_state WHERE service_id = @s", ("s", serviceId)));
        await storage.WriteStateAsync("deleted", grainId, state);
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task Reminder_Registered_IsListedStoredAndFiresOnTheNextCluster()
    {
        var connectionString = await MigratedDatabaseAsync();
        var serviceId = NewServiceId();
        var key = "reminded-" + Guid.NewGuid().ToString("N");

        await using (var cluster = await StartStorageClusterAsync(connectionString, serviceId))
        {
            var grain = cluster.Client.GetGrain<IProbeGrain>(key);
            await grain.RegisterReminderAsync("tick", TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));
            Assert.True(await grain.HasReminderAsync("tick"));
            Assert.False(await grain.HasReminderAsync("other"));

            // Registering again replaces the schedule: due in two seconds, every two seconds.
            await grain.RegisterReminderAsync("tick", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        }

        var rows = await Sql.ReadStringsAsync(
            connectionString,
            "SELECT reminder_name || ' ' || period || ' ' || version FROM orleans_reminders WHERE service_id = @s",
            ("s", serviceId));
        Assert.Equal(["tick 2000 1"], rows);

        // A new cluster learns of the reminder only by reading its ring range from the table.
        ProbeGrain.Ticks.TryRemove((key, "tick"), out _);
        await using (var cluster = await StartStorageClusterAsync(connectionString, serviceId))
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (ProbeGrain.Ticks.GetValueOrDefault((key, "tick")) == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            Assert.True(ProbeGrain.Ticks.GetValueOrDefault((key, "tick")) > 0, "The stored reminder did not fire on the restarted cluster.");

            var grain = cluster.Client.GetGrain<IProbeGrain>(key);
            Assert.True(await grain.HasReminderAsync("tick"));
            await grain.UnregisterReminderAsync("tick");
            Assert.False(await grain.HasReminderAsync("tick"));
        }

        Assert.Equal(0L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM orleans_reminders WHERE service_id = @s", ("s", serviceId)));
    }

    [Fact]
    public async Task TwoSilos_JoinOneClusterThroughTheMembershipTable()
    {
        var connectionString = await MigratedDatabaseAsync();
        await using var cluster = await StartMembershipClusterAsync(connectionString);
        Assert.Equal(2, cluster.Silos.Count);
        var clusterId = cluster.Options.ClusterId;

        var statuses = await Sql.ReadStringsAsync(
            connectionString, "SELECT status FROM orleans_membership WHERE deployment_id = @c", ("c", clusterId));
        Assert.Equal(["3", "3"], statuses); // SiloStatus.Active

        var ports = await Sql.ReadStringsAsync(
            connectionString, "SELECT port FROM orleans_membership WHERE deployment_id = @c", ("c", clusterId));
        Assert.Equal(
            cluster.Silos.Select(s => s.SiloAddress.Endpoint.Port.ToString(CultureInfo.InvariantCulture)).Order(),
            ports.Order());

        // Each silo joined (insert) and became active (update), each change moving the table version.
        Assert.True(await Sql.ScalarAsync<int>(
            connectionString, "SELECT version FROM orleans_membership_version WHERE deployment_id = @c", ("c", clusterId)) >= 4);

        // The client found its gateways in the same table and reaches the grains.
        var grain = cluster.Client.GetGrain<IProbeGrain>("clustered");
        await grain.WriteAsync("hello");
        Assert.Equal("hello", (await grain.ReadAsync()).Value);

        // A silo that leaves says so in the table.
        var leaving = cluster.SecondarySilos[0];
        await cluster.StopSiloAsync(leaving);
        var leavingPort = leaving.SiloAddress.Endpoint.Port;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? status = null;
        while (status != "6" && DateTime.UtcNow < deadline)
        {
            status = (await Sql.ReadStringsAsync(
                connectionString,
                "SELECT status FROM orleans_membership WHERE deployment_id = @c AND port = @p",
                ("c", clusterId),
                ("p", leavingPort))).SingleOrDefault();
            await Task.Delay(200);
        }

        Assert.Equal("6", status); // SiloStatus.Dead
    }

    private async Task<string> MigratedDatabaseAsync()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        return connectionString;
    }

    private static string NewServiceId() => "service-" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// One silo with ADO.NET grain storage and reminders. <see cref="InProcessTestCluster"/> always puts its own
    /// in-memory membership table into its silos (its option to turn that off is internal in 10.x), so clustering is
    /// tested with <see cref="TestCluster"/> instead.
    /// </summary>
    private static async Task<InProcessTestCluster> StartStorageClusterAsync(string connectionString, string serviceId)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => ConfigurePostgres(silo, connectionString));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>
    /// Two silos and a client that find each other only through the ADO.NET membership table. <see cref="TestCluster"/>
    /// takes its silo and client configuration as types, so the connection string travels in its configuration.
    /// </summary>
    private static async Task<TestCluster> StartMembershipClusterAsync(string connectionString)
    {
        var builder = new TestClusterBuilder(2);
        builder.Options.ServiceId = NewServiceId();
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[PostgresConfigurator.ConnectionStringKey] = connectionString;
        builder.AddSiloBuilderConfigurator<PostgresConfigurator>();
        builder.AddClientBuilderConfigurator<PostgresConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static void ConfigurePostgres(ISiloBuilder silo, string connectionString)
    {
        silo.AddAdoNetGrainStorage(ProbeGrain.StorageName, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.AddAdoNetGrainStorage(DeletingStorageName, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
            o.DeleteStateOnClear = true;
        });
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });

        // Lets a test see a reminder fire within seconds (Orleans logs a warning about it).
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
    }

    private sealed class PostgresConfigurator : ISiloConfigurator, IClientBuilderConfigurator
    {
        public const string ConnectionStringKey = "DispatchTestPostgres";

        public void Configure(ISiloBuilder siloBuilder)
        {
            var connectionString = siloBuilder.Configuration[ConnectionStringKey]!;
            siloBuilder.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
            ConfigurePostgres(siloBuilder, connectionString);
        }

        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = configuration[ConnectionStringKey];
            });
    }
}
