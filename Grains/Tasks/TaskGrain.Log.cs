using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Tasks;

public sealed partial class TaskGrain
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Lease {LeaseId} of task {ProjectId}/{TaskId} expired")]
    private static partial void LogLeaseExpired(ILogger logger, string leaseId, string projectId, string taskId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Task {ProjectId}/{TaskId} could not tell its queue shard of a change; it will try again")]
    private static partial void LogShardNotTold(ILogger logger, Exception exception, string projectId, string taskId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Task {ProjectId}/{TaskId} could not tell a worker that its lease ended")]
    private static partial void LogWorkerNotTold(ILogger logger, Exception exception, string projectId, string taskId);
}
