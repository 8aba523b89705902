using System.Collections.Immutable;

namespace Dispatch.Webhooks;

/// <summary>A registration asked for: where to post, which event types (empty: all), and the signing secret.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.NewWebhook")]
public sealed record NewWebhook(
    [property: Id(0)] string Url,
    [property: Id(1)] ImmutableArray<string> Events,
    [property: Id(2)] string Secret);

/// <summary>A registration as it is shown: never with its secret.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.WebhookView")]
public sealed record WebhookView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] ImmutableArray<string> Events);

/// <summary>What a delivery needs to post and sign an event.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.WebhookTarget")]
public sealed record WebhookTarget(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] string Secret);

/// <summary>What a task needs to know of a registration to store its deliveries with a change.</summary>
/// <param name="Events">The types it wants; empty for every type.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.WebhookSubscription")]
public sealed record WebhookSubscription(
    [property: Id(0)] string Id,
    [property: Id(1)] ImmutableArray<string> Events)
{
    public bool Wants(string eventType) => Events.IsDefaultOrEmpty || Events.Contains(eventType);
}

/// <summary>Where one event stands with one registration. Stored values: a contract, never renumbered.</summary>
public enum WebhookDeliveryState
{
    /// <summary>Not delivered yet; tried again at its next attempt time.</summary>
    Pending = 0,

    /// <summary>A 2xx answer came in time.</summary>
    Delivered = 1,

    /// <summary>Given up after the retry period.</summary>
    Failed = 2,
}

/// <summary>One entry of a registration's delivery log.</summary>
/// <param name="LastStatus">The HTTP status of the last attempt; null before the first answer, or when none came (timeout, refused connection).</param>
/// <param name="NextAttemptAt">When it is tried next; null once delivered or failed.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.WebhookDeliveryView")]
public sealed record WebhookDeliveryView(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] int Attempts,
    [property: Id(3)] int? LastStatus,
    [property: Id(4)] WebhookDeliveryState State,
    [property: Id(5)] DateTimeOffset? NextAttemptAt);
