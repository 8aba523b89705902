using Dispatch.Grains.Postgres;
using Dispatch.Grains.Webhooks;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Webhooks;

/// <summary>
/// The outboxes called directly: a worker that stores its events again (after a failure it cannot tell from a lost
/// answer, or on another activation) adds nothing twice.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WebhookOutboxTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task AddingTheSameEventAgain_StoresOneDeliveryPerRegistration(StorageMode storage)
    {
        await using var dataSource = storage == StorageMode.Postgres ? await MigratedAsync() : null;
        IWebhookOutbox outbox = dataSource is null ? new MemoryWebhookOutbox() : new PostgresWebhookOutbox(dataSource);
        WebhookOutboxEntry[] certified =
        [
            new("p", "hook-1", "e1", "worker.certified", """{"id":"e1"}""", Now),
            new("p", "hook-2", "e1", "worker.certified", """{"id":"e1"}""", Now),
        ];

        await outbox.AddAsync(certified);
        await outbox.AddAsync([.. certified, new("p", "hook-1", "e2", "worker.suspended", """{"id":"e2"}""", Now.AddSeconds(1))]);

        Assert.Equal(["e2", "e1"], (await outbox.ListAsync("hook-1", 10)).Select(d => d.EventId));
        Assert.Equal(["e1"], (await outbox.ListAsync("hook-2", 10)).Select(d => d.EventId));
        var claimed = await outbox.ClaimAsync(Now.AddMinutes(1), Now.AddMinutes(2), 10, []);
        Assert.Equal(3, claimed.Count);
    }

    private async Task<NpgsqlDataSource> MigratedAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        return NpgsqlDataSource.Create(connectionString);
    }
}
