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

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Submission of worker {WorkerId} on task {ProjectId}/{TaskId} {State} by {By}")]
    private static partial void LogReviewed(ILogger logger, string workerId, string projectId, string taskId, Dispatch.Tasks.SubmissionState state, Dispatch.Tasks.ReviewerKind by);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Task {ProjectId}/{TaskId} could not tell worker {WorkerId} of a verdict; its stats catch up on its next activation")]
    private static partial void LogWorkerNotToldOfReview(ILogger logger, Exception exception, string projectId, string taskId, string workerId);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Task {ProjectId}/{TaskId} could not expire its overdue leases; it tries again in a second")]
    private static partial void LogExpiryFailed(ILogger logger, Exception exception, string projectId, string taskId);
}
