using Dispatch.Grains.Webhooks;
using Dispatch.Tests.Infrastructure;
using Dispatch.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Webhooks;

/// <summary>
/// The host's webhook outbox, except that the first <see cref="IWebhookOutbox.AddAsync"/> fails before it stores
/// anything, as an outbox out of reach would. Only worker events are added that way; task changes and imports store
/// their deliveries through the task store.
/// </summary>
internal sealed class OutboxFailingOnce(IWebhookOutbox inner) : IWebhookOutbox
{
    private int _adds;

    /// <summary>How many adds were asked for, the failed one included.</summary>
    public int Adds => Volatile.Read(ref _adds);

    /// <summary>Puts a failing-once outbox in place of the host's; returns a way to reach it once the host is built.</summary>
    public static Func<IServiceProvider, OutboxFailingOnce> Install(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IWebhookOutbox));
        services.Remove(original);
        services.AddSingleton(provider => new OutboxFailingOnce(original.CreateService<IWebhookOutbox>(provider)));
        services.AddSingleton<IWebhookOutbox>(provider => provider.GetRequiredService<OutboxFailingOnce>());
        return provider => provider.GetRequiredService<OutboxFailingOnce>();
    }

    public Task AddAsync(IReadOnlyList<WebhookOutboxEntry> entries, CancellationToken cancellationToken = default) =>
        Interlocked.Increment(ref _adds) == 1
            ? Task.FromException(new TimeoutException("The outbox did not answer (a test fault)."))
            : inner.AddAsync(entries, cancellationToken);

    public Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, IReadOnlyCollection<string> exceptWebhooks, CancellationToken cancellationToken = default) =>
        inner.ClaimAsync(now, claimUntil, limit, exceptWebhooks, cancellationToken);

    public Task RecordAsync(DeliveryOutcome outcome, CancellationToken cancellationToken = default) => inner.RecordAsync(outcome, cancellationToken);

    public Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string webhookId, int limit, CancellationToken cancellationToken = default) =>
        inner.ListAsync(webhookId, limit, cancellationToken);

    public Task DeleteAsync(string webhookId, CancellationToken cancellationToken = default) => inner.DeleteAsync(webhookId, cancellationToken);
}
