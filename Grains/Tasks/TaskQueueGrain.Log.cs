using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Tasks;

public sealed partial class TaskQueueGrain
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "A queue shard of project {ProjectId} could not read a page of task seeds; its tasks read storage themselves")]
    private static partial void LogSeedsNotRead(ILogger logger, Exception exception, string projectId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "A queue shard of project {ProjectId} could not auto-accept the submissions of task {TaskId}; it tries again")]
    private static partial void LogAutoAcceptFailed(ILogger logger, Exception exception, string projectId, string taskId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "A queue shard of project {ProjectId} could not register or remove its auto-accept reminder; it tries again at its next change")]
    private static partial void LogReminderFailed(ILogger logger, Exception exception, string projectId);
}
