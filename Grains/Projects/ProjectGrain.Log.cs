using Dispatch.Projects;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Projects;

public sealed partial class ProjectGrain
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Project {ProjectId} created for {OwnerRequesterId} with {QueueShards} queue shards")]
    private static partial void LogCreated(ILogger logger, string projectId, string? ownerRequesterId, int queueShards);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Project {ProjectId} is now {Status}: priority {Priority}, leases of {LeaseSeconds} s, {MaxAttempts} attempts")]
    private static partial void LogUpdated(ILogger logger, string projectId, ProjectStatus status, int priority, int leaseSeconds, int maxAttempts);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "Project {ProjectId} stored {Created} new tasks ({Existing} already there)")]
    private static partial void LogImported(ILogger logger, string projectId, int created, int existing);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Debug, Message = "Project {ProjectId} refused an import: task {TaskId} exists with another payload")]
    private static partial void LogImportRefused(ILogger logger, string projectId, string taskId);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Information, Message = "Project {ProjectId} registered webhook {WebhookId} posting to {Url}")]
    private static partial void LogWebhookAdded(ILogger logger, string projectId, string webhookId, string url);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Information, Message = "Project {ProjectId} deleted webhook {WebhookId}")]
    private static partial void LogWebhookDeleted(ILogger logger, string projectId, string webhookId);

    [LoggerMessage(EventId = 1223, Level = LogLevel.Warning, Message = "Project {ProjectId} deleted webhook {WebhookId} but not its stored deliveries; they are dropped when they come due")]
    private static partial void LogWebhookDeliveriesNotDeleted(ILogger logger, Exception exception, string projectId, string webhookId);
}
