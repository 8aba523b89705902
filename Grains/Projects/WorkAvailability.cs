using System.Collections.Concurrent;
using Dispatch.Events;
using Orleans.Streams;

namespace Dispatch.Grains.Projects;

/// <summary>
/// This silo's memory of projects that had no free task at all, so routing over many open projects does not ask
/// every shard of every empty project on each claim. A project is forgotten as soon as a work signal names it
/// (import, expired or released lease, retry, reopening: every way a slot comes free). In case a signal was lost,
/// a memory older than <see cref="MaxAge"/> is checked again, but by at most a few projects per claim, so that
/// memories made together do not all come due on one unlucky claim. The same signals drop this silo's picture of
/// the project's shard heads, since new or freed work can change which shard comes first.
/// </summary>
public sealed class WorkAvailability(IClusterClient client, ShardHeads heads, TimeProvider time) : ILifecycleParticipant<ISiloLifecycle>
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    /// <summary>How many stale memories one claim checks again.</summary>
    public const int RechecksPerClaim = 8;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _emptySince = new(StringComparer.Ordinal);

    /// <summary>True when the project had no free task and no signal came since; a stale memory spends one recheck.</summary>
    public bool IsKnownEmpty(string projectId, ref int rechecks)
    {
        if (!_emptySince.TryGetValue(projectId, out var since))
        {
            return false;
        }

        if (time.GetUtcNow() - since < MaxAge || rechecks <= 0)
        {
            return true;
        }

        rechecks--;
        return false;
    }

    /// <summary>Call only after every shard of the project reported no free task.</summary>
    public void MarkEmpty(string projectId) => _emptySince[projectId] = time.GetUtcNow();

    public void Forget(string projectId)
    {
        _emptySince.TryRemove(projectId, out _);
        heads.Forget(projectId);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(WorkAvailability), ServiceLifecycleStage.Active, SubscribeAsync);

    /// <summary>How often the subscription is tried at start before the silo gives up starting.</summary>
    private const int SubscribeAttempts = 10;

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
                    Forget(signal.ProjectId);
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
