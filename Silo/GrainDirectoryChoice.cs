using Orleans.Configuration;

namespace Dispatch.Silo;

/// <summary>
/// Which grain directory this host's cluster uses: Orleans' distributed directory, with no lease on the ranges of a
/// silo declared dead.
/// </summary>
/// <remarks>
/// Orleans' default directory deactivates, when a silo dies, every activation on the survivors whose registration
/// that silo held: in a two-silo cluster about half of what survives. A deactivation waits for the requests the
/// activation is running, and a queue shard's running claims and sweeps wait on tasks whose own turns wait on news
/// sent to that deactivating shard, so the survivors stood still until the ten-second call deadline (measured: 9.8
/// and 11.1 s without a completed cycle after a kill). The distributed directory instead recovers a lost range from
/// the activations the survivors report, deactivating nothing. Its lease on a dead silo's ranges (30 s by default)
/// would keep that silo's grains from activating anywhere else for as long; it guards against a silo declared dead
/// while still running, which Orleans makes stop itself, and against which Dispatch's storage already refuses a
/// stale write (every task and worker write checks its version), so it is off.
/// </remarks>
public static class GrainDirectoryChoice
{
    public static void UseDistributedDirectory(ISiloBuilder silo)
    {
        // Marked for evaluation in Orleans 10 (ORLEANSEXP003); the default directory's deactivations are the worse risk.
#pragma warning disable ORLEANSEXP003
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.Zero);
    }
}
