using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Tasks;
using Dispatch.Webhooks;
using Orleans.Concurrency;

namespace Dispatch.Projects;

/// <summary>A project: its settings and status. Its tasks live in their own grains and queue shards.</summary>
[Alias("Dispatch.IProjectGrain")]
public interface IProjectGrain : IGrainWithStringKey
{
    /// <summary>Creates the project; <see cref="ErrorKind.Conflict"/> when it exists.</summary>
    [Alias("Create")]
    Task<Result<ProjectView>> CreateAsync(string? ownerRequesterId, ProjectSettings settings);

    [Alias("Get")]
    Task<ProjectView?> GetAsync();

    /// <summary>
    /// Settings, status and owner, or null when the project does not exist. Cheap: no counts are gathered. It
    /// interleaves, because the project's own shards ask for it while the project waits on them during an import.
    /// </summary>
    [Alias("GetInfo"), AlwaysInterleave]
    Task<ProjectInfo?> GetInfoAsync();

    [Alias("Update")]
    Task<Result<ProjectView>> UpdateAsync(ProjectPatch patch);

    /// <summary>
    /// Stores a batch of tasks all or nothing: a task id already stored with another payload refuses the
    /// whole call with <see cref="ErrorKind.Conflict"/>.
    /// </summary>
    [Alias("Import")]
    Task<Result<ImportSummary>> ImportAsync(ImmutableArray<NewTask> tasks);

    /// <summary>
    /// Tasks ordered by id after <paramref name="afterTaskId"/>, all of them or those in <paramref name="state"/>; a page
    /// ends at <paramref name="limit"/> tasks or at the silo's page byte bound.
    /// </summary>
    [Alias("ListTaskPage"), ReadOnly]
    Task<ListPage<TaskView>> ListTasksAsync(TaskState? state, string? afterTaskId, int limit);

    /// <summary>The project's submissions in <paramref name="state"/>, oldest first, after <paramref name="after"/>, bounded as tasks are.</summary>
    [Alias("ListSubmissionPage"), ReadOnly]
    Task<ListPage<ProjectSubmission>> ListSubmissionsAsync(SubmissionState state, SubmissionCursor? after, int limit);

    /// <summary>Completed tasks in completion order after the cursor (null for the start), bounded as tasks are.</summary>
    [Alias("ListResultPage"), ReadOnly]
    Task<ListPage<CompletedTask>> ListResultsAsync(CompletionCursor? after, int limit);

    /// <summary>
    /// Where a results cursor of the old form (a completion number) points in this project; null when it names no
    /// completion of this project.
    /// </summary>
    [Alias("FindOldResultsCursor"), ReadOnly]
    Task<CompletionCursor?> FindOldResultsCursorAsync(long completionNumber);

    /// <summary>Registers a webhook; the URL's host must not resolve to a private network unless the silo allows it.</summary>
    [Alias("AddWebhook")]
    Task<Result<WebhookView>> AddWebhookAsync(NewWebhook webhook);

    [Alias("ListWebhooks"), ReadOnly]
    Task<ImmutableArray<WebhookView>> ListWebhooksAsync();

    /// <summary>Deletes the registration and its deliveries; nothing more is posted for it.</summary>
    [Alias("DeleteWebhook")]
    Task<Result<bool>> DeleteWebhookAsync(string webhookId);

    /// <summary>The registration with its secret, for delivery; null once it was deleted.</summary>
    [Alias("GetWebhookTarget"), AlwaysInterleave]
    Task<WebhookTarget?> GetWebhookTargetAsync(string webhookId);

    /// <summary>The registration's deliveries, newest first.</summary>
    [Alias("ListWebhookDeliveries"), ReadOnly]
    Task<Result<ImmutableArray<WebhookDeliveryView>>> ListWebhookDeliveriesAsync(string webhookId, int limit);
}
