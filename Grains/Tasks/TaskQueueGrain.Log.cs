using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Tasks;

public sealed partial class TaskQueueGrain
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "A queue shard of project {ProjectId} could not read a page of task seeds; its tasks read storage themselves")]
    private static partial void LogSeedsNotRead(ILogger logger, Exception exception, string projectId);
}
