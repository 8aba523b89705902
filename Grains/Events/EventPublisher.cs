using Dispatch.Events;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace Dispatch.Grains.Events;

/// <summary>
/// Publishes a grain's events without making the caller wait for delivery: events describe what storage already
/// holds, so a lost event never loses data, and a claim or submit does not pay for its listeners.
/// </summary>
public sealed partial class EventPublisher(IClusterClient client, WorkSignals signals, EventInterest interest, ILogger<EventPublisher> logger)
{
    /// <summary>Sends the event to the project's stream, unless nobody reads that project's events.</summary>
    public void Publish(DispatchEvent @event)
    {
        if (interest.IsListened(@event.ProjectId))
        {
            Send(Provider.GetStream<DispatchEvent>(EventStreams.ProjectNamespace, @event.ProjectId).OnNextAsync(@event), @event.Type);
        }
    }

    /// <summary>
    /// Tells every silo that work for up to <paramref name="slots"/> claims may be free in the project; this silo's
    /// views learn it at once.
    /// </summary>
    public void SignalWork(string projectId, int slots)
    {
        signals.Sent(projectId);
        Send(Provider.GetStream<WorkSignal>(EventStreams.WorkNamespace, EventStreams.WorkKey).OnNextAsync(new WorkSignal(projectId, slots)), "work signal");
    }

    private IStreamProvider Provider => client.GetStreamProvider(EventStreams.Provider);

    private void Send(Task delivery, string what) =>
        delivery.ContinueWith(t => LogPublishFailed(logger, what, t.Exception!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
}
