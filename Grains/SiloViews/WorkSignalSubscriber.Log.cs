using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.SiloViews;

public sealed partial class WorkSignalSubscriber
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "The work-signal stream no longer knows this silo's subscription (a silo holding its subscribers was lost); subscribing again")]
    private static partial void LogSubscriptionForgotten(ILogger logger);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Checking or renewing this silo's subscription to work signals failed; it is tried again at the next round")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception);
}
