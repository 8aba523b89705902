using System.Collections.Concurrent;
using Dispatch.Events;
using Orleans.Streams;

namespace Dispatch.Grains.Projects;

/// <summary>
/// This silo's memory of projects that had no free task at all, so routing over many open projects does not ask
/// every shard of every empty project on each claim. A project is forgotten as soon as a work signal names it
/// (import, expired or released lease, retry, reopening: every way a slot comes free), and after
/// <see cref="MaxAge"/> in any case, in case a signal was lost.
/// </summary>
public sealed class WorkAvailability(IClusterClient client, TimeProvider time) : ILifecycleParticipant<ISiloLifecycle>
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _emptySince = new(StringComparer.Ordinal);

    public bool IsKnownEmpty(string projectId) =>
        _emptySince.TryGetValue(projectId, out var since) && time.GetUtcNow() - since < MaxAge;

    /// <summary>Call only after every shard of the project reported no free task.</summary>
    public void MarkEmpty(string projectId) => _emptySince[projectId] = time.GetUtcNow();

    public void Forget(string projectId) => _emptySince.TryRemove(projectId, out _);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(WorkAvailability), ServiceLifecycleStage.Active, SubscribeAsync);

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<WorkSignal>(EventStreams.WorkNamespace, EventStreams.WorkKey);
        await stream.SubscribeAsync((signal, _) =>
        {
            Forget(signal.ProjectId);
            return Task.CompletedTask;
        });
    }
}
