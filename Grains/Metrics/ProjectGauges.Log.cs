using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Metrics;

public sealed partial class ProjectGauges
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Counting the open projects' tasks for the metrics failed; the gauges keep the last reading")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);
}
