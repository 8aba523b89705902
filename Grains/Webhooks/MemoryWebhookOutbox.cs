using Dispatch.Webhooks;

namespace Dispatch.Grains.Webhooks;

/// <summary>
/// The embedded outbox: entries in process memory, added by <see cref="Storage.MemoryTaskStore"/> under the lock of the
/// change, or by a worker after its state write.
/// </summary>
public sealed class MemoryWebhookOutbox : IWebhookOutbox
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Deliveries> _byWebhook = new(StringComparer.Ordinal);

    public void Add(IReadOnlyList<WebhookOutboxEntry> entries)
    {
        lock (_lock)
        {
            foreach (var entry in entries)
            {
                if (!_byWebhook.TryGetValue(entry.WebhookId, out var deliveries))
                {
                    _byWebhook[entry.WebhookId] = deliveries = new Deliveries();
                }

                var row = new Row(entry) { NextAttemptAt = entry.CreatedAt };
                if (deliveries.ById.TryAdd(entry.EventId, row))
                {
                    deliveries.InOrder.Add(row);
                }
            }
        }
    }

    public Task AddAsync(IReadOnlyList<WebhookOutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        Add(entries);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, IReadOnlyCollection<string> exceptWebhooks, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var due = _byWebhook
                .Where(w => !exceptWebhooks.Contains(w.Key))
                .SelectMany(w => w.Value.InOrder)
                .Where(r => r.State == WebhookDeliveryState.Pending && r.NextAttemptAt <= now)
                .OrderBy(r => r.NextAttemptAt)
                .Take(limit)
                .ToList();
            foreach (var row in due)
            {
                row.Attempts++;
                row.NextAttemptAt = claimUntil;
            }

            return Task.FromResult<IReadOnlyList<ClaimedDelivery>>([.. due.Select(r => r.Claimed())]);
        }
    }

    public Task RecordAsync(DeliveryOutcome outcome, CancellationToken cancellationToken = default)
    {
        var delivery = outcome.Delivery;
        lock (_lock)
        {
            var row = _byWebhook.GetValueOrDefault(delivery.WebhookId)?.ById.GetValueOrDefault(delivery.EventId);
            if (row is not null && row.Attempts == delivery.Attempts && row.State == WebhookDeliveryState.Pending)
            {
                row.State = outcome.State;
                row.LastStatus = outcome.Status;
                row.NextAttemptAt = outcome.NextAttemptAt;
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string webhookId, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var rows = _byWebhook.GetValueOrDefault(webhookId)?.InOrder ?? [];
            return Task.FromResult<IReadOnlyList<WebhookDeliveryView>>([.. Enumerable.Reverse(rows).Take(limit).Select(r => r.View())]);
        }
    }

    public Task DeleteAsync(string webhookId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _byWebhook.Remove(webhookId);
        }

        return Task.CompletedTask;
    }

    /// <summary>A registration's deliveries in the order they were stored, and by event id.</summary>
    private sealed class Deliveries
    {
        public List<Row> InOrder { get; } = [];
        public Dictionary<string, Row> ById { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Row(WebhookOutboxEntry entry)
    {
        public WebhookOutboxEntry Entry { get; } = entry;
        public int Attempts { get; set; }
        public int? LastStatus { get; set; }
        public WebhookDeliveryState State { get; set; }
        public DateTimeOffset? NextAttemptAt { get; set; }

        public ClaimedDelivery Claimed() => new(Entry.ProjectId, Entry.WebhookId, Entry.EventId, Entry.BodyJson, Attempts, Entry.CreatedAt);

        public WebhookDeliveryView View() => new(Entry.EventId, Entry.Type, Attempts, LastStatus, State, NextAttemptAt);
    }
}
