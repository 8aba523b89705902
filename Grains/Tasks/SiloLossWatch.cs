using System.Collections.Immutable;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// Tells whether a silo of the cluster was declared dead since the last look, from the membership this silo already
/// holds: a look costs no call. A task that lived on a lost silo may have stored a change whose news to its shard died
/// with it.
/// </summary>
public sealed class SiloLossWatch
{
    private readonly IClusterMembershipService _membership;
    private MembershipVersion _seen;
    private ImmutableHashSet<SiloAddress> _dead;

    /// <summary>Silos dead already are not news: whatever was stored before a shard loaded, the shard read.</summary>
    public SiloLossWatch(IClusterMembershipService membership)
    {
        _membership = membership;
        var snapshot = membership.CurrentSnapshot;
        _seen = snapshot.Version;
        _dead = Dead(snapshot);
    }

    public bool SiloLostSinceLastLook()
    {
        var snapshot = _membership.CurrentSnapshot;
        if (snapshot.Version == _seen)
        {
            return false;
        }

        // Dead silos leave the table after a while, so the set is compared, not its size.
        var dead = Dead(snapshot);
        var lost = !dead.IsSubsetOf(_dead);
        _seen = snapshot.Version;
        _dead = dead;
        return lost;
    }

    private static ImmutableHashSet<SiloAddress> Dead(ClusterMembershipSnapshot snapshot) =>
        [.. snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress)];
}
