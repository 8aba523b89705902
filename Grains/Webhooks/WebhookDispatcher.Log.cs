using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Webhooks;

public sealed partial class WebhookDispatcher
{
    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "Looking for due webhook deliveries failed; trying again at the next poll")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "Delivering to webhook {WebhookId} failed; its deliveries come due again when their claim runs out")]
    private static partial void LogEndpointFailed(ILogger logger, Exception exception, string webhookId);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Debug, Message = "Event {EventId} got no answer from webhook {WebhookId}: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string eventId, string webhookId, string reason);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Warning, Message = "Gave up delivering event {EventId} to webhook {WebhookId} after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, string eventId, string webhookId, int attempts);

    [LoggerMessage(EventId = 1805, Level = LogLevel.Debug, Message = "Dropped {Count} deliveries of deleted webhook {WebhookId}")]
    private static partial void LogDroppedForDeletedWebhook(ILogger logger, string webhookId, int count);
}
