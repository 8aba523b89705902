using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Events;

public sealed partial class EventPublisher
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Publishing {What} failed")]
    private static partial void LogPublishFailed(ILogger logger, string what, Exception exception);
}
