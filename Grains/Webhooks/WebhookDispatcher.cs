using System.Collections.Concurrent;
using System.Text;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.Webhooks;

/// <summary>
/// Posts the outbox's due deliveries, on every silo, beside the claim path: it polls the outbox, takes a batch for a
/// while (so that another silo takes it again if this one dies), and posts each registration's share with bounded
/// concurrency. A registration still busy on this silo is left out of the next poll, so a slow endpoint holds up
/// nobody else. A registration deleted meanwhile gets nothing: its deliveries are dropped instead.
/// </summary>
public sealed partial class WebhookDispatcher(
    IWebhookOutbox outbox,
    IGrainFactory grains,
    IHttpClientFactory clients,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public const string HttpClientName = "Dispatch.Webhooks";

    private readonly WebhookOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Task> _busy = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _polling = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(WebhookDispatcher), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _polling = Task.Run(() => PollLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Attempts under way are cancelled and not recorded: their claims run out and they are tried again.</summary>
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await Task.WhenAll([_polling, .. _busy.Values]).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task PollLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stopping);
                await Task.Delay(_options.PollInterval, time, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPollFailed(logger, e);
                await Task.Delay(_options.PollInterval, time, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task PollAsync(CancellationToken stopping)
    {
        var now = time.GetUtcNow();
        var claimed = await outbox.ClaimAsync(now, now + _options.ClaimTimeout, _options.BatchSize, [.. _busy.Keys], stopping);
        foreach (var endpoint in claimed.GroupBy(d => d.WebhookId))
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _busy[endpoint.Key] = done.Task;
            _ = DeliverAsync(endpoint.Key, [.. endpoint], done, stopping);
        }
    }

    private async Task DeliverAsync(string webhookId, List<ClaimedDelivery> deliveries, TaskCompletionSource done, CancellationToken stopping)
    {
        try
        {
            var target = await grains.GetReference<IProjectGrain>(deliveries[0].ProjectId).GetWebhookTargetAsync(webhookId);
            if (target is null)
            {
                LogDroppedForDeletedWebhook(logger, webhookId, deliveries.Count);
                await outbox.DeleteAsync(webhookId, stopping);
                return;
            }

            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrencyPerEndpoint, CancellationToken = stopping };
            await Parallel.ForEachAsync(deliveries, parallel, (delivery, ct) => new ValueTask(AttemptAsync(target, delivery, ct)));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Left claimed: the deliveries come due again when the claim runs out.
            LogEndpointFailed(logger, e, webhookId);
        }
        finally
        {
            _busy.TryRemove(webhookId, out _);
            done.SetResult();
        }
    }

    private async Task AttemptAsync(WebhookTarget target, ClaimedDelivery delivery, CancellationToken stopping)
    {
        var status = await PostAsync(target, delivery, stopping);
        var outcome = status is >= 200 and < 300
            ? new DeliveryOutcome(delivery, status, WebhookDeliveryState.Delivered, null)
            : _options.NextAttempt(delivery.CreatedAt, delivery.Attempts, time.GetUtcNow()) is { } next
                ? new DeliveryOutcome(delivery, status, WebhookDeliveryState.Pending, next)
                : new DeliveryOutcome(delivery, status, WebhookDeliveryState.Failed, null);
        await outbox.RecordAsync(outcome, stopping);
        if (outcome.State == WebhookDeliveryState.Failed)
        {
            LogGaveUp(logger, delivery.EventId, target.Id, delivery.Attempts);
        }
    }

    /// <summary>The answer's status, or null when none came in time.</summary>
    private async Task<int?> PostAsync(WebhookTarget target, ClaimedDelivery delivery, CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new StringContent(delivery.BodyJson, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebhookSignature.EventIdHeader, delivery.EventId);
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Of(target.Secret, time.GetUtcNow().ToUnixTimeSeconds(), delivery.BodyJson));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.AttemptTimeout);
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            LogAttemptFailed(logger, delivery.EventId, target.Id, e.Message);
            return null;
        }
    }
}
