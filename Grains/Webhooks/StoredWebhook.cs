using System.Collections.Immutable;
using Dispatch.Webhooks;

namespace Dispatch.Grains.Webhooks;

/// <summary>A registration as its project keeps it.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.StoredWebhook")]
public sealed record StoredWebhook(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] ImmutableArray<string> Events,
    [property: Id(3)] string Secret)
{
    public WebhookView View() => new(Id, Url, Events);

    public WebhookSubscription Subscription() => new(Id, Events);

    public WebhookTarget Target() => new(Id, Url, Secret);
}
