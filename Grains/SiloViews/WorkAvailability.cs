using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's memory of projects that had no free task at all, so routing over many open projects does not ask
/// every shard of every empty project on each claim. A project is forgotten as soon as a work signal names it
/// (import, expired or released lease, retry, reopening: every way a slot comes free). In case a signal was lost,
/// a memory older than <see cref="SiloViewOptions.WorkAvailabilityMaxAge"/> is checked again, but by at most
/// <see cref="RechecksPerClaim"/> projects per claim, so that memories made together do not all come due on one
/// unlucky claim.
/// </summary>
public sealed class WorkAvailability(IOptions<SiloViewOptions> options, TimeProvider time)
{
    private readonly TimeSpan _maxAge = options.Value.WorkAvailabilityMaxAge;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _emptySince = new(StringComparer.Ordinal);

    /// <summary>How many stale memories one claim checks again.</summary>
    public int RechecksPerClaim { get; } = options.Value.WorkAvailabilityRechecksPerClaim;

    /// <summary>True when the project had no free task and no signal came since; a stale memory spends one recheck.</summary>
    public bool IsKnownEmpty(string projectId, ref int rechecks)
    {
        if (!_emptySince.TryGetValue(projectId, out var since))
        {
            return false;
        }

        if (time.GetUtcNow() - since < _maxAge || rechecks <= 0)
        {
            return true;
        }

        rechecks--;
        return false;
    }

    /// <summary>Call only after every shard of the project reported no free task.</summary>
    public void MarkEmpty(string projectId) => _emptySince[projectId] = time.GetUtcNow();

    public void Forget(string projectId) => _emptySince.TryRemove(projectId, out _);
}
