using Dispatch.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's one subscription to the work-signal stream, made as the silo becomes active; every signal goes to
/// <see cref="WorkSignals"/>. Every <see cref="SiloViewOptions.WorkSignalFallback"/> it wakes the waiters once in
/// case a signal was lost, and makes the subscription again if the stream no longer knows it: the stream's record of
/// subscribers lives in one silo's memory, and a silo lost with it takes every subscription along without a word to
/// the subscribers.
/// </summary>
public sealed partial class WorkSignalSubscriber(
    IClusterClient client,
    WorkSignals signals,
    IOptions<SiloViewOptions> options,
    TimeProvider time,
    ILogger<WorkSignalSubscriber> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How often the subscription is tried at start before the silo gives up starting.</summary>
    private const int SubscribeAttempts = 10;

    private readonly CancellationTokenSource _stopping = new();
    private StreamSubscriptionHandle<WorkSignal>? _subscription;
    private int _generation;
    private int _heardFrom;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(WorkSignalSubscriber), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>
    /// Silos starting together all subscribe to the one work-signal stream at once; before membership settles, two
    /// activations of its pub-sub grain may race on storage, and the loser's write fails with a version conflict
    /// (seen killing one of three silos started together). That is transient, so the subscription is tried again.
    /// </summary>
    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<WorkSignal>(EventStreams.WorkNamespace, EventStreams.WorkKey);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _subscription = await SubscribeAsync(stream);
                break;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException && attempt < SubscribeAttempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), time, cancellationToken);
            }
        }

        _ = KeepUpAsync(stream, _stopping.Token);
    }

    /// <summary>A round under way ends by itself; the silo's stop need not wait for its grain call.</summary>
    private Task StopAsync(CancellationToken cancellationToken) => _stopping.CancelAsync();

    private async Task KeepUpAsync(IAsyncStream<WorkSignal> stream, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.Value.WorkSignalFallback, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await RoundAsync(stream);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo stops.
        }
    }

    private async Task RoundAsync(IAsyncStream<WorkSignal> stream)
    {
        try
        {
            signals.Fallback();
            var standing = await stream.GetAllSubscriptionHandles();
            if (_subscription is { } current && standing.Any(s => s.HandleId == current.HandleId))
            {
                return;
            }

            LogSubscriptionForgotten(logger);
            _subscription = await SubscribeAsync(stream);
        }
        catch (Exception e)
        {
            // The next round tries again; a round that ends the loop would end the fallback for good.
            LogRoundFailed(logger, e);
        }
    }

    private Task<StreamSubscriptionHandle<WorkSignal>> SubscribeAsync(IAsyncStream<WorkSignal> stream)
    {
        var generation = Interlocked.Increment(ref _generation);
        return stream.SubscribeAsync((signal, _) =>
        {
            Deliver(generation, signal);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The stream's queue reader keeps the subscribers it learnt of, so the forgotten subscription may go on
    /// delivering beside the renewed one for a while. Signals of an older subscription count until the newer one
    /// delivers its first, so that none is missed while the new one is not yet known and none wakes waiters twice after.
    /// </summary>
    private void Deliver(int generation, WorkSignal signal)
    {
        var newest = Volatile.Read(ref _heardFrom);
        while (generation > newest)
        {
            var seen = Interlocked.CompareExchange(ref _heardFrom, generation, newest);
            if (seen == newest)
            {
                break;
            }

            newest = seen;
        }

        if (generation >= Volatile.Read(ref _heardFrom))
        {
            signals.Received(signal);
        }
    }
}
