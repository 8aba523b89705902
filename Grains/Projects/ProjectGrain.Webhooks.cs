using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Webhooks;
using Dispatch.Webhooks;

namespace Dispatch.Grains.Projects;

// The project's webhook registrations: kept in its state, and carried (without URL or secret) in the project info every
// task reads, so that a task of a project without webhooks stores nothing more than before.
public sealed partial class ProjectGrain
{
    public async Task<Result<WebhookView>> AddWebhookAsync(NewWebhook webhook)
    {
        if (!state.State.Exists)
        {
            return NotFound<WebhookView>();
        }

        if (WebhookRules.Check(webhook) is { Count: > 0 } errors)
        {
            return FieldError.Refuse<WebhookView>(errors);
        }

        if (state.State.Webhooks.Length >= WebhookRules.MaxPerProject)
        {
            return Result<WebhookView>.Fail(ErrorKind.Validation, $"A project holds at most {WebhookRules.MaxPerProject} webhooks; delete one first.");
        }

        if (await webhookAddresses.RefusalAsync(WebhookRules.ParseUrl(webhook.Url)!) is { } refusal)
        {
            return FieldError.Refuse<WebhookView>([new FieldError("url", refusal)]);
        }

        var events = webhook.Events.IsDefault ? [] : webhook.Events.Distinct(StringComparer.Ordinal).ToImmutableArray();
        var stored = new StoredWebhook(Guid.NewGuid().ToString("N").ToUpperInvariant(), webhook.Url, events, webhook.Secret);
        state.State.Webhooks = state.State.Webhooks.Add(stored);
        await state.WriteOrDeactivateAsync(this, logger);
        directory.Forget(ProjectId);
        LogWebhookAdded(logger, ProjectId, stored.Id, stored.Url);
        return Result<WebhookView>.Ok(stored.View());
    }

    public Task<ImmutableArray<WebhookView>> ListWebhooksAsync() =>
        Task.FromResult<ImmutableArray<WebhookView>>([.. state.State.Webhooks.Select(w => w.View())]);

    public async Task<Result<bool>> DeleteWebhookAsync(string webhookId)
    {
        if (Find(webhookId) is not { } found)
        {
            return WebhookNotFound<bool>(webhookId);
        }

        state.State.Webhooks = state.State.Webhooks.Remove(found);
        await state.WriteOrDeactivateAsync(this, logger);
        directory.Forget(ProjectId);
        LogWebhookDeleted(logger, ProjectId, webhookId);
        try
        {
            await webhookOutbox.DeleteAsync(webhookId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The registration is gone, which is what stops deliveries: the dispatcher drops what is left of them.
            LogWebhookDeliveriesNotDeleted(logger, e, ProjectId, webhookId);
        }

        return Result<bool>.Ok(true);
    }

    public Task<WebhookTarget?> GetWebhookTargetAsync(string webhookId) => Task.FromResult(Find(webhookId)?.Target());

    public async Task<Result<ImmutableArray<WebhookDeliveryView>>> ListWebhookDeliveriesAsync(string webhookId, int limit)
    {
        if (Find(webhookId) is null)
        {
            return WebhookNotFound<ImmutableArray<WebhookDeliveryView>>(webhookId);
        }

        return Result<ImmutableArray<WebhookDeliveryView>>.Ok([.. await webhookOutbox.ListAsync(webhookId, limit)]);
    }

    private StoredWebhook? Find(string webhookId) =>
        state.State.Exists ? state.State.Webhooks.FirstOrDefault(w => w.Id == webhookId) : null;

    private Result<T> WebhookNotFound<T>(string webhookId) =>
        Result<T>.Fail(ErrorKind.NotFound, $"Webhook '{webhookId}' does not exist in project '{ProjectId}'.");
}
