using Dispatch.Webhooks;

namespace Dispatch.Grains.Webhooks;

/// <summary>One event to post to one registration, stored with the change that caused it.</summary>
/// <param name="BodyJson">The exact body to post (and sign).</param>
public sealed record WebhookOutboxEntry(string ProjectId, string WebhookId, string EventId, string Type, string BodyJson, DateTimeOffset CreatedAt);

/// <summary>A delivery a silo took to attempt; <see cref="Attempts"/> counts this attempt, and names the claim.</summary>
public sealed record ClaimedDelivery(string ProjectId, string WebhookId, string EventId, string BodyJson, int Attempts, DateTimeOffset CreatedAt);

/// <summary>What became of an attempt.</summary>
/// <param name="Status">The HTTP status, or null when no answer came.</param>
/// <param name="NextAttemptAt">For a delivery still pending, when to try again.</param>
public sealed record DeliveryOutcome(ClaimedDelivery Delivery, int? Status, WebhookDeliveryState State, DateTimeOffset? NextAttemptAt);

/// <summary>
/// The deliveries of webhook events. Entries of task changes and imports are added by the task store in the same write
/// as the change that caused them; those of worker events by the worker, after the state write that holds them (see
/// <see cref="AddAsync"/>). Any silo takes due ones for a while (a claim), so that those of a silo that died are taken again.
/// </summary>
public interface IWebhookOutbox
{
    /// <summary>
    /// Stores the entries. One already stored (same registration and event id) is left as it is, so an add repeated
    /// after a failure, or by another activation, delivers nothing twice.
    /// </summary>
    Task AddAsync(IReadOnlyList<WebhookOutboxEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes up to <paramref name="limit"/> pending deliveries due at <paramref name="now"/>, except those of the given
    /// registrations, and holds them until <paramref name="claimUntil"/>.
    /// </summary>
    Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, IReadOnlyCollection<string> exceptWebhooks, CancellationToken cancellationToken = default);

    /// <summary>Records an attempt's outcome, unless another claim took the delivery since.</summary>
    Task RecordAsync(DeliveryOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>A registration's deliveries, newest first.</summary>
    Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string webhookId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Forgets every delivery of the registration.</summary>
    Task DeleteAsync(string webhookId, CancellationToken cancellationToken = default);
}
