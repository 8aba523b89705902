using System.Diagnostics.Metrics;
using Dispatch.Common;
using Dispatch.Events;
using Dispatch.Work;

namespace Dispatch.Api.Work;

/// <summary>
/// Long polling without polling: a waiting claim joins this silo's <see cref="WaitingClaims"/>, and a work signal
/// wakes about as many of those that may take the work as it freed slots, to claim again. A claim that got nothing
/// waits again; one that waited its whole time claims once more before it answers that nothing is free. A waiter is
/// a completion source, so ten thousand waiting workers cost memory and no CPU.
/// </summary>
public sealed class WorkWaiters
{
    /// <summary>The meter the wake-up counter is in: the one the grains' metrics use, so one listener reads both.</summary>
    public const string MeterName = "Dispatch";

    private readonly TimeProvider _time;
    private readonly WaitingClaims _waiting = new();
    private readonly Counter<long> _woken;

    public WorkWaiters(IWorkSignals signals, TimeProvider time, IMeterFactory? meters)
    {
        _time = time;
        var meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _woken = meter.CreateCounter<long>("dispatch.claims.woken", "{claim}", "Waiting claims woken to claim again, tagged by: signal or fallback.");
        signals.Listen(
            signal => Count(_waiting.Wake(signal.ProjectId, signal.Wakes, WakeReason.Signal), WakeReason.Signal),
            () => Count(_waiting.WakeFirstOfEachLine(), WakeReason.Fallback));
    }

    /// <summary>
    /// Claims now; when no work fits, waits for a wake-up and claims again, until work is leased, the wait is over, or
    /// the caller went away. The claim is always made after the waiter joined, so a signal sent in between is never
    /// missed; and a wake-up the claim could not use (it got a lease or failed meanwhile) goes to the next in line.
    /// </summary>
    public async Task<Result<LeaseGrant?>> ClaimAsync(Func<Task<Result<LeaseGrant?>>> claim, string? projectId, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return await claim();
        }

        var deadline = _time.GetUtcNow() + wait;
        WakeReason? wokenBy = null;
        while (true)
        {
            var waiter = _waiting.Join(projectId, cancellationToken);
            try
            {
                var result = await claim();
                if (wokenBy == WakeReason.Fallback && result is { IsSuccess: true, Value: not null })
                {
                    // The fallback found work a lost signal should have announced; there may be more, so the next in
                    // line tries too, and so on until a claim finds nothing.
                    Count(_waiting.WakeAnother(waiter, WakeReason.Fallback), WakeReason.Fallback);
                }

                var remaining = deadline - _time.GetUtcNow();
                if (!result.IsSuccess || result.Value is not null || remaining <= TimeSpan.Zero)
                {
                    return result;
                }

                wokenBy = await WokenWithinAsync(waiter, remaining, cancellationToken);
                if (wokenBy is null)
                {
                    break;
                }
            }
            finally
            {
                PassOnUnused(waiter);
            }
        }

        // A signal may have been lost, or gone to other waiters that could not use it: the answer that nothing is free
        // must be true when it is given, so the claim is made once more at the deadline.
        return await claim();
    }

    /// <returns>Why the waiter was woken, or null when <paramref name="remaining"/> passed first.</returns>
    private async Task<WakeReason?> WokenWithinAsync(WaitingClaims.Waiter waiter, TimeSpan remaining, CancellationToken cancellationToken)
    {
        try
        {
            var reason = await waiter.Woken.Task.WaitAsync(remaining, _time, cancellationToken);
            waiter.Used = true;
            return reason;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private void PassOnUnused(WaitingClaims.Waiter waiter)
    {
        if (_waiting.Leave(waiter))
        {
            var reason = waiter.Woken.Task.Result;
            Count(_waiting.WakeAnother(waiter, reason), reason);
        }
    }

    private void Count(int woken, WakeReason reason)
    {
        if (woken > 0)
        {
            _woken.Add(woken, new KeyValuePair<string, object?>("by", reason == WakeReason.Signal ? "signal" : "fallback"));
        }
    }
}
