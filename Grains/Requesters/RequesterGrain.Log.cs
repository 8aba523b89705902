using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Requesters;

public sealed partial class RequesterGrain
{
    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Requester {RequesterId} created")]
    private static partial void LogCreated(ILogger logger, string requesterId);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Debug, Message = "Requester {RequesterId} owns project {ProjectId}")]
    private static partial void LogProjectAdded(ILogger logger, string requesterId, string projectId);
}
