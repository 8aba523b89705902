using System.Text.Json;

namespace Dispatch.Client;

// One lease from handler to submit: heartbeats while the handler runs, release when stopped or the handler fails.
public sealed partial class DispatchWorkerLoop
{
    private async Task ProcessAsync(Lease lease, LeaseHandler handler, CancellationToken stopping)
    {
        var state = new LeaseInHand(lease.ExpiresAt);
        using var handlerStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeats = KeepAliveAsync(lease, state, handlerStop, heartbeatStop.Token);
        JsonElement result;
        try
        {
            result = await handler(lease, handlerStop.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await StopAsync(heartbeatStop, heartbeats);
            await ReleaseAsync(lease, "The worker stopped.");
            throw;
        }
        catch (OperationCanceledException) when (state.Lost)
        {
            await StopAsync(heartbeatStop, heartbeats);
            LogLeaseLost(lease.LeaseId, lease.TaskId);
            return;
        }
        catch (Exception e)
        {
            await StopAsync(heartbeatStop, heartbeats);
            LogHandlerFailed(e, lease.LeaseId, lease.TaskId);
            await ReleaseAsync(lease, Truncate(e.Message));
            return;
        }

        await StopAsync(heartbeatStop, heartbeats);
        if (state.Lost)
        {
            LogLeaseLost(lease.LeaseId, lease.TaskId);
            return;
        }

        // A result in hand is worth the few seconds of a submit even when the loop is being stopped.
        using var submitting = new CancellationTokenSource(SubmitPatience(state.ExpiresAt));
        await SubmitAsync(lease, result, state, submitting.Token);
    }

    private static TimeSpan SubmitPatience(DateTimeOffset expiresAt) =>
        TimeSpan.FromTicks(Math.Clamp((expiresAt - DateTimeOffset.UtcNow).Ticks, TimeSpan.TicksPerSecond * 5, TimeSpan.TicksPerSecond * 60));

    /// <summary>
    /// Submits, and on a transient failure submits again while the lease may still be live: the server stores a
    /// submission once whatever is retried, and a retry that answers <c>lease-not-active</c> means an earlier attempt
    /// was stored, which this loop (holding the lease, never releasing it meanwhile) can tell and the plain client cannot.
    /// </summary>
    private async Task SubmitAsync(Lease lease, JsonElement result, LeaseInHand state, CancellationToken giveUp)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var receipt = await _client.SubmitAsync(_options.WorkerId, lease.LeaseId, result, giveUp);
                LogSubmitted(lease.LeaseId, lease.TaskId, receipt.TaskState);
                return;
            }
            catch (DispatchProblemException e) when (attempt > 1 && e.Is(ProblemTypes.LeaseNotActive))
            {
                LogSubmitted(lease.LeaseId, lease.TaskId, null);
                return;
            }
            catch (DispatchProblemException e) when (e.Is(ProblemTypes.LeaseExpired) || e.Is(ProblemTypes.LeaseNotActive))
            {
                LogLeaseLost(lease.LeaseId, lease.TaskId);
                return;
            }
            catch (DispatchProblemException e) when (e.Is(ProblemTypes.Validation) || e.Is(ProblemTypes.TooLarge))
            {
                LogHandlerFailed(e, lease.LeaseId, lease.TaskId);
                await ReleaseAsync(lease, Truncate(e.Message));
                return;
            }
            catch (Exception e) when (Faults.IsTransient(e, CancellationToken.None))
            {
                if (DateTimeOffset.UtcNow > state.ExpiresAt || giveUp.IsCancellationRequested)
                {
                    LogSubmitAbandoned(e, lease.LeaseId, lease.TaskId);
                    return;
                }

                LogCallFailed(e, attempt);
                try
                {
                    await Task.Delay(Backoff(attempt), giveUp);
                }
                catch (OperationCanceledException)
                {
                    LogSubmitAbandoned(e, lease.LeaseId, lease.TaskId);
                    return;
                }
            }
        }
    }

    private async Task KeepAliveAsync(Lease lease, LeaseInHand state, CancellationTokenSource handlerStop, CancellationToken stop)
    {
        var interval = Interval(state.ExpiresAt);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop);
                var receipt = await _client.HeartbeatAsync(_options.WorkerId, lease.LeaseId, _options.ExtendSeconds, stop);
                state.ExpiresAt = receipt.ExpiresAt;
                interval = Interval(receipt.ExpiresAt);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (DispatchProblemException e) when (e.Is(ProblemTypes.LeaseExpired) || e.Is(ProblemTypes.LeaseNotActive) || e.Is(ProblemTypes.NotFound))
            {
                state.Lost = true;
                await handlerStop.CancelAsync();
                return;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // The lease is stored, so it outlives a silo or network fault; keep trying until the handler ends.
                LogCallFailed(e, 1);
                interval = TimeSpan.FromSeconds(1);
            }
        }
    }

    private TimeSpan Interval(DateTimeOffset expiresAt) =>
        _options.HeartbeatInterval ?? TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (expiresAt - DateTimeOffset.UtcNow).Ticks / 3));

    private static async Task StopAsync(CancellationTokenSource heartbeatStop, Task heartbeats)
    {
        await heartbeatStop.CancelAsync();
        await heartbeats;
    }

    /// <summary>Gives the task back; not under the loop's token, which may be the reason for releasing.</summary>
    private async Task ReleaseAsync(Lease lease, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _client.ReleaseAsync(_options.WorkerId, lease.LeaseId, reason, timeout.Token);
            LogReleased(lease.LeaseId, lease.TaskId, reason);
        }
        catch (Exception e) when (e is DispatchProblemException || Faults.IsTransient(e, CancellationToken.None))
        {
            // Unreleased, the lease expires at its deadline and the task returns to the crowd then.
            LogReleaseFailed(e, lease.LeaseId);
        }
    }

    private static string Truncate(string reason) => reason.Length <= 500 ? reason : reason[..500];

    private sealed class LeaseInHand(DateTimeOffset expiresAt)
    {
        public DateTimeOffset ExpiresAt { get; set; } = expiresAt;

        public bool Lost { get; set; }
    }
}
