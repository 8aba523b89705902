using System.Net;
using Dispatch.Grains.Postgres;
using Dispatch.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// The provider classes Orleans uses for membership and reminders, called directly on a migrated database, for the
/// edge cases a running cluster rarely shows on demand: stale versions, duplicates, wrapping hash ranges, cleanup.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansQueryContractTests(PostgresServer server)
{
    private const string Invariant = "Npgsql";

    [Fact]
    public async Task MembershipTable_Writes_SucceedOnlyAtTheCurrentTableVersion()
    {
        var connectionString = await MigratedDatabaseAsync();
        var clusterId = NewId("cluster");
        var table = MembershipTable(connectionString, clusterId);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        // Another silo starting at the same time finds the version row there and carries on.
        await MembershipTable(connectionString, clusterId).InitializeMembershipTableAsync(tryInitTableVersion: true);

        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        var now = Microseconds(DateTime.UtcNow);
        var silo = Entry(11111, SiloStatus.Joining, now);
        Assert.True(await table.InsertRowAsync(silo, empty.Version.Next()));
        Assert.False(await table.InsertRowAsync(Entry(22222, SiloStatus.Joining, now), empty.Version.Next()));
        var afterInsert = await table.ReadAllAsync();
        Assert.Equal(1, afterInsert.Version.Version);
        Assert.False(await table.InsertRowAsync(silo, afterInsert.Version.Next()));
        Assert.Equal(1, (await table.ReadAllAsync()).Version.Version);

        var (stored, etag) = Assert.Single((await table.ReadRowAsync(silo.SiloAddress)).Members);
        Assert.Equal(afterInsert.Version.VersionEtag, etag);
        Assert.Equal(
            (silo.SiloAddress, silo.SiloName, silo.HostName, silo.Status, silo.ProxyPort, silo.StartTime, silo.IAmAliveTime),
            (stored.SiloAddress, stored.SiloName, stored.HostName, stored.Status, stored.ProxyPort, stored.StartTime, stored.IAmAliveTime));

        // The heartbeat changes only the liveness time: not the status, not the version.
        silo.IAmAliveTime = now.AddSeconds(1);
        await table.UpdateIAmAliveAsync(silo);
        var joining = await table.ReadRowAsync(silo.SiloAddress);
        Assert.Equal(1, joining.Version.Version);
        Assert.Equal((SiloStatus.Joining, now.AddSeconds(1)), (joining.Members[0].Item1.Status, joining.Members[0].Item1.IAmAliveTime));

        silo.Status = SiloStatus.Active;
        silo.AddSuspector(Entry(33333, SiloStatus.Active, now).SiloAddress, now);
        Assert.True(await table.UpdateRowAsync(silo, afterInsert.Version.VersionEtag, afterInsert.Version.Next()));
        Assert.False(await table.UpdateRowAsync(silo, afterInsert.Version.VersionEtag, afterInsert.Version.Next()));
        var afterUpdate = await table.ReadAllAsync();
        Assert.Equal(2, afterUpdate.Version.Version);
        Assert.False(await table.UpdateRowAsync(Entry(44444, SiloStatus.Active, now), afterUpdate.Version.VersionEtag, afterUpdate.Version.Next()));
        Assert.Equal(2, (await table.ReadAllAsync()).Version.Version);

        // Again once active and suspected: the status and suspicions stay as the last update wrote them.
        silo.IAmAliveTime = now.AddSeconds(5);
        await table.UpdateIAmAliveAsync(silo);
        var afterAlive = await table.ReadRowAsync(silo.SiloAddress);
        Assert.Equal(2, afterAlive.Version.Version);
        var alive = Assert.Single(afterAlive.Members).Item1;
        Assert.Equal((SiloStatus.Active, now.AddSeconds(5)), (alive.Status, alive.IAmAliveTime));
        var suspicion = Assert.Single(alive.SuspectTimes!);
        Assert.Equal(33333, suspicion.Item1.Endpoint.Port);

        var missing = await table.ReadRowAsync(Entry(55555, SiloStatus.Active, now).SiloAddress);
        Assert.Empty(missing.Members);
        Assert.Equal(2, missing.Version.Version);
    }

    [Fact]
    public async Task MembershipTable_GatewaysCleanupAndDelete_TouchOnlyTheRowsMeant()
    {
        var connectionString = await MigratedDatabaseAsync();
        var clusterId = NewId("cluster");
        var table = MembershipTable(connectionString, clusterId);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        var otherClusterId = NewId("other");
        var otherTable = MembershipTable(connectionString, otherClusterId);
        await otherTable.InitializeMembershipTableAsync(tryInitTableVersion: true);
        await InsertAsync(otherTable, Entry(10000, SiloStatus.Active, Microseconds(DateTime.UtcNow)));

        var now = Microseconds(DateTime.UtcNow);
        var longAgo = now.AddHours(-1);
        await InsertAsync(table, Entry(11111, SiloStatus.Active, now));
        await InsertAsync(table, Entry(22222, SiloStatus.Joining, now));
        await InsertAsync(table, Entry(33333, SiloStatus.Dead, longAgo));
        await InsertAsync(table, Entry(44444, SiloStatus.Dead, now));
        var suspected = Entry(55555, SiloStatus.Dead, longAgo);
        await InsertAsync(table, suspected);
        suspected.AddSuspector(Entry(11111, SiloStatus.Active, now).SiloAddress, longAgo);
        var version = (await table.ReadAllAsync()).Version;
        Assert.True(await table.UpdateRowAsync(suspected, version.VersionEtag, version.Next()));

        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            EmptyServices,
            Options.Create(new AdoNetClusteringClientOptions { Invariant = Invariant, ConnectionString = connectionString }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "unused" }));
        await gateways.InitializeGatewayListProviderAsync();
        var gateway = Assert.Single(await gateways.GetGatewaysAsync());
        Assert.Equal(11111 + 1000, gateway.Port);

        // Only dead silos whose every sign of life is older than the cutoff go.
        await table.CleanupDefunctSiloEntriesAsync(now.AddMinutes(-10));
        var left = (await table.ReadAllAsync()).Members.Select(m => m.Item1.SiloAddress.Endpoint.Port).Order();
        Assert.Equal([11111, 22222, 44444], left);

        await table.DeleteMembershipTableEntriesAsync(clusterId);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(
            connectionString,
            "SELECT (SELECT count(*) FROM orleans_membership WHERE deployment_id = @c) + (SELECT count(*) FROM orleans_membership_version WHERE deployment_id = @c)",
            ("c", clusterId)));
        Assert.Single((await otherTable.ReadAllAsync()).Members);
    }

    [Fact]
    public async Task ReminderTable_Rows_AreVersionedAndReadByGrainAndByHashRange()
    {
        var connectionString = await MigratedDatabaseAsync();
        var serviceId = NewId("service");
        await using var services = ReminderServices(connectionString, serviceId);
        var table = services.GetRequiredService<IReminderTable>();
        await table.StartAsync();

        // Enough grains that their hashes land all around the ring, in both signed halves.
        var grains = Enumerable.Range(0, 64).Select(i => GrainId.Create("reminded", "g" + i)).ToList();
        var start = Microseconds(DateTime.UtcNow);
        foreach (var grain in grains)
        {
            Assert.Equal("0", await table.UpsertRow(Reminder(grain, "r", start, TimeSpan.FromMinutes(1))));
        }

        var first = grains[0];
        Assert.Equal("1", await table.UpsertRow(Reminder(first, "r", start.AddMinutes(1), TimeSpan.FromDays(30))));
        Assert.Equal("0", await table.UpsertRow(Reminder(first, "second", start, TimeSpan.FromMinutes(1))));

        var row = await table.ReadRow(first, "r");
        Assert.NotNull(row);
        Assert.Equal((first, "r", start.AddMinutes(1), TimeSpan.FromDays(30), "1"), (row.GrainId, row.ReminderName, row.StartAt, row.Period, row.ETag));
        Assert.Null(await table.ReadRow(first, "none"));
        Assert.Equal(["r", "second"], (await table.ReadRows(first)).Reminders.Select(r => r.ReminderName).Order());

        // Ranges (begin, end] of the uint ring, non-wrapping and wrapping, in either signed half, and the whole ring.
        var hashes = grains.ToDictionary(g => g, g => g.GetUniformHashCode());
        var sorted = hashes.Values.Order().ToList();
        (uint Begin, uint End)[] ranges =
        [
            (0x1000_0000, 0x7000_0000),
            (0x7000_0000, 0x9000_0000),
            (0x9000_0000, 0xF000_0000),
            (0xF000_0000, 0x1000_0000),
            (0x6000_0000, 0x2000_0000),
            (sorted[10], sorted[20]),
            (sorted[50], sorted[5]),
            (sorted[0] - 1, sorted[0]),
            (0x4000_0000, 0x4000_0000),
        ];
        foreach (var (begin, end) in ranges)
        {
            var expected = grains.Where(g => InRange(hashes[g], begin, end)).Select(g => g.ToString()).Order().ToList();
            var actual = (await table.ReadRows(begin, end)).Reminders.Where(r => r.ReminderName == "r").Select(r => r.GrainId.ToString()).Order().ToList();
            Assert.True(expected.SequenceEqual(actual), $"Range ({begin:X8}, {end:X8}]: expected {expected.Count} reminders, read {actual.Count}.");
        }

        Assert.False(await table.RemoveRow(first, "r", "0"));
        Assert.True(await table.RemoveRow(first, "r", "1"));
        Assert.Null(await table.ReadRow(first, "r"));
        Assert.False(await table.RemoveRow(first, "r", "1"));

        await table.TestOnlyClearTable();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM orleans_reminders WHERE service_id = @s", ("s", serviceId)));
    }

    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private async Task<string> MigratedDatabaseAsync()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        return connectionString;
    }

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");

    private static IServiceProvider EmptyServices { get; } = new ServiceCollection().BuildServiceProvider();

    private static AdoNetClusteringTable MembershipTable(string connectionString, string clusterId) =>
        new(
            EmptyServices,
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "unused" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = Invariant, ConnectionString = connectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);

    private static ServiceProvider ReminderServices(string connectionString, string serviceId)
    {
        var services = new ServiceCollection();
        services.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = "unused";
            o.ServiceId = serviceId;
        });
        services.UseAdoNetReminderService(o => o.Configure(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        }));
        return services.BuildServiceProvider();
    }

    private static async Task InsertAsync(AdoNetClusteringTable table, MembershipEntry entry)
    {
        var version = (await table.ReadAllAsync()).Version;
        Assert.True(await table.InsertRowAsync(entry, version.Next()));
    }

    /// <summary>A silo on 127.0.0.1 at <paramref name="port"/> with its gateway 1000 above it.</summary>
    private static MembershipEntry Entry(int port, SiloStatus status, DateTime time) =>
        new()
        {
            SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 7),
            SiloName = "silo-" + port,
            HostName = "host-" + port,
            Status = status,
            ProxyPort = port + 1000,
            StartTime = time,
            IAmAliveTime = time,
        };

    private static ReminderEntry Reminder(GrainId grain, string name, DateTime start, TimeSpan period) =>
        new() { GrainId = grain, ReminderName = name, StartAt = start, Period = period };

    /// <summary>PostgreSQL keeps microseconds; comparing what comes back needs times without the last tick digit.</summary>
    private static DateTime Microseconds(DateTime time) =>
        new(time.Ticks - (time.Ticks % 10), DateTimeKind.Utc);
}
