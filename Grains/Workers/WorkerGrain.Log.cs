using Dispatch.Money;
using Dispatch.Workers;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Workers;

public sealed partial class WorkerGrain
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Worker {WorkerId} created, at most {MaxActiveLeases} active leases")]
    private static partial void LogCreated(ILogger logger, string workerId, int maxActiveLeases);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Worker {WorkerId} certified for {Skill} at level {Level} ({Source})")]
    private static partial void LogCertified(ILogger logger, string workerId, string skill, int level, CertificationSource source);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Worker {WorkerId} lost its certification for {Skill}")]
    private static partial void LogRevoked(ILogger logger, string workerId, string skill);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Debug, Message = "Worker {WorkerId} blocked; its {ActiveLeases} active leases are released")]
    private static partial void LogBlocked(ILogger logger, string workerId, int activeLeases);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Debug, Message = "Worker {WorkerId} unblocked")]
    private static partial void LogUnblocked(ILogger logger, string workerId);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Debug, Message = "Worker {WorkerId} suspended for {Skill}: {GoldenSeen} golden answers, accuracy {Accuracy}")]
    private static partial void LogSuspended(ILogger logger, string workerId, string skill, long goldenSeen, double accuracy);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Debug, Message = "Worker {WorkerId} passed the exam of project {ProjectId}: {Skill} at level {Level}, score {Score}")]
    private static partial void LogPassedExam(ILogger logger, string workerId, string projectId, string skill, int level, double score);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Debug, Message = "Worker {WorkerId} no longer meets the requirements of project {ProjectId}; lease {LeaseId} is released")]
    private static partial void LogLeaseEndedByRequirements(ILogger logger, string workerId, string leaseId, string projectId);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Warning, Message = "Submit of lease {LeaseId} by worker {WorkerId} failed without an answer; the worker reads its totals again")]
    private static partial void LogSubmitUnanswered(ILogger logger, Exception exception, string workerId, string leaseId);

    [LoggerMessage(EventId = 1310, Level = LogLevel.Debug, Message = "Worker {WorkerId} suspended for {Skill}: {Reviewed} reviewed submissions, acceptance {Acceptance}")]
    private static partial void LogSuspendedForAcceptance(ILogger logger, string workerId, string skill, long reviewed, double acceptance);

    [LoggerMessage(EventId = 1311, Level = LogLevel.Debug, Message = "Worker {WorkerId} stored {Events} events for webhooks in the outbox ({Deliveries} deliveries)")]
    private static partial void LogAnnouncementsStored(ILogger logger, string workerId, int events, int deliveries);

    [LoggerMessage(EventId = 1312, Level = LogLevel.Warning, Message = "Worker {WorkerId} could not store {Events} events for webhooks in the outbox; they wait in its state for its next activation or reminder tick")]
    private static partial void LogAnnouncementsNotStored(ILogger logger, Exception exception, string workerId, int events);

    [LoggerMessage(EventId = 1320, Level = LogLevel.Information, Message = "Worker {WorkerId}: {Kind} of {Amount} entered as {EntryId}")]
    private static partial void LogLedgerEntry(ILogger logger, string workerId, LedgerEntryKind kind, decimal amount, string entryId);

    [LoggerMessage(EventId = 1330, Level = LogLevel.Warning, Message = "A claim by worker {WorkerId} failed without an answer; the worker reads its active leases again")]
    private static partial void LogClaimUnanswered(ILogger logger, Exception exception, string workerId);
}
