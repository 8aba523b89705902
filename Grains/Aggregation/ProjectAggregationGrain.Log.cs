using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Aggregation;

public sealed partial class ProjectAggregationGrain
{
    [LoggerMessage(EventId = 2601, Level = LogLevel.Debug, Message = "Project {ProjectId} started a Dawid-Skene run")]
    private static partial void LogStarted(ILogger logger, string projectId);

    [LoggerMessage(EventId = 2602, Level = LogLevel.Information, Message = "Project {ProjectId} finished a Dawid-Skene run over {Tasks} tasks")]
    private static partial void LogFinished(ILogger logger, string projectId, int tasks);

    [LoggerMessage(EventId = 2603, Level = LogLevel.Warning, Message = "Project {ProjectId}'s Dawid-Skene run failed; its previous estimates stay")]
    private static partial void LogFailed(ILogger logger, Exception exception, string projectId);

    [LoggerMessage(EventId = 2604, Level = LogLevel.Information, Message = "Project {ProjectId}'s Dawid-Skene run started at {StartedAt} was interrupted; it runs again when asked")]
    private static partial void LogInterrupted(ILogger logger, string projectId, DateTimeOffset? startedAt);
}
