using Microsoft.Extensions.Logging;

namespace Dispatch.Grains;

internal static partial class PersistentStateExtensions
{
    [LoggerMessage(EventId = 1901, Level = LogLevel.Warning, Message = "{GrainId} could not store its state; the call fails and the grain reloads from storage")]
    private static partial void LogStateNotWritten(ILogger logger, Exception exception, GrainId grainId);
}
