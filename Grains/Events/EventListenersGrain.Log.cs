using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Events;

public sealed partial class EventListenersGrain
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Someone reads the events of project {ProjectId} (until {Until})")]
    private static partial void LogListened(ILogger logger, string projectId, DateTimeOffset until);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "Nobody reads the events of project {ProjectId} any more")]
    private static partial void LogNoLongerListened(ILogger logger, string projectId);
}
