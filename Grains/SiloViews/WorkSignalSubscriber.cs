using Dispatch.Events;
using Orleans.Streams;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's one subscription to the work-signal stream, made as the silo becomes active; every signal goes to
/// <see cref="WorkSignals"/>.
/// </summary>
public sealed class WorkSignalSubscriber(IClusterClient client, WorkSignals signals, TimeProvider time) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How often the subscription is tried at start before the silo gives up starting.</summary>
    private const int SubscribeAttempts = 10;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(WorkSignalSubscriber), ServiceLifecycleStage.Active, SubscribeAsync);

    /// <summary>
    /// Silos starting together all subscribe to the one work-signal stream at once; before membership settles, two
    /// activations of its pub-sub grain may race on storage, and the loser's write fails with a version conflict
    /// (seen killing one of three silos started together). That is transient, so the subscription is tried again.
    /// </summary>
    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<WorkSignal>(EventStreams.WorkNamespace, EventStreams.WorkKey);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await stream.SubscribeAsync((signal, _) =>
                {
                    signals.Received(signal);
                    return Task.CompletedTask;
                });
                return;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException && attempt < SubscribeAttempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), time, cancellationToken);
            }
        }
    }
}
