using Dispatch.Webhooks;

namespace Dispatch.Api.Projects;

/// <param name="Events">Event types to post; absent or empty for every type of the project's event stream.</param>
/// <param name="Secret">The key of the signatures, 16 to 256 characters; never shown again.</param>
public sealed record CreateWebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Secret);

public sealed record WebhookResponse(string Id, string Url, IReadOnlyList<string> Events)
{
    public static WebhookResponse From(WebhookView view) => new(view.Id, view.Url, [.. view.Events]);
}

public sealed record WebhookListResponse(IReadOnlyList<WebhookResponse> Items);

/// <param name="LastStatus">The HTTP status of the last attempt; null before any answer came.</param>
/// <param name="State"><c>pending</c>, <c>delivered</c> or <c>failed</c>.</param>
/// <param name="NextAttemptAt">When it is tried next; null once delivered or failed.</param>
public sealed record WebhookDeliveryResponse(string EventId, string Type, int Attempts, int? LastStatus, string State, DateTime? NextAttemptAt)
{
    public static WebhookDeliveryResponse From(WebhookDeliveryView view) => new(
        view.EventId,
        view.Type,
        view.Attempts,
        view.LastStatus,
        view.State switch
        {
            WebhookDeliveryState.Pending => "pending",
            WebhookDeliveryState.Delivered => "delivered",
            WebhookDeliveryState.Failed => "failed",
            _ => throw new ArgumentOutOfRangeException(nameof(view), view.State, null),
        },
        view.NextAttemptAt?.UtcDateTime);
}

public sealed record WebhookDeliveryListResponse(IReadOnlyList<WebhookDeliveryResponse> Items);
