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

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "A queue shard of project {ProjectId} saw a silo declared dead and asks its {Tasks} tasks in play what they now are")]
    private static partial void LogSiloLost(ILogger logger, string projectId, int tasks);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "A queue shard of project {ProjectId} could not ask task {TaskId} what it now is; it asks again at its next sweep")]
    private static partial void LogPokeFailed(ILogger logger, Exception exception, string projectId, string taskId);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "A queue shard of project {ProjectId} missed who joined task {TaskId} and could not read it from storage; it tries again at the task's next news")]
    private static partial void LogTaskNotRead(ILogger logger, Exception exception, string projectId, string taskId);
}
