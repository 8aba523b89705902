using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.SiloViews;

public sealed partial class WorkSignalSubscriber
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "The work-signal stream no longer knows this silo's subscription (a silo holding its subscribers was lost); subscribing again")]
    private static partial void LogSubscriptionForgotten(ILogger logger);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "A round of the work-signal fallback (waking waiting claims, checking this silo's subscription) failed; the next round tries again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
