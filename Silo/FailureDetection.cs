using Microsoft.Extensions.Configuration;
using Orleans.Configuration;

namespace Dispatch.Silo;

/// <summary>
/// How fast this host's cluster declares a lost silo dead, before <c>Orleans:Membership:*</c> settings are applied
/// over it. Until a lost silo is declared dead, calls to its grains fail and nothing they touch completes, so these
/// values bound the failover pause; the price of a short pause is a silo that stops answering probes for a few
/// seconds (a long GC or a frozen VM) being declared dead, which restarts it.
/// </summary>
public static class FailureDetection
{
    /// <summary>
    /// Probes each second and suspects a silo after two missed ones. A killed process refuses connections, so each
    /// probe fails at once and the lost silo is voted out after two probe periods; with three or more silos the
    /// second probe goes through another silo, whose answer is the second vote. A busy silo is spared by Orleans'
    /// other check, kept on: a silo whose connection brought any message within the detection window is not voted
    /// against. Votes count for ten seconds only, so that two short stalls minutes apart never add up to a death.
    /// </summary>
    public static void ApplyDefaults(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(1);
        options.NumMissedProbesLimit = 2;
        options.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);
        options.EnableIndirectProbes = true;
        options.EnableConnectionLivenessCheck = true;
        options.ExtendProbeTimeoutDuringDegradation = true;
    }

    /// <summary>
    /// Unless <c>Orleans:Membership:MaxProbeTimeout</c> is set, no probe period exceeds <c>ProbeTimeout</c>. Orleans
    /// stretches the period up to four times <c>ProbeTimeout</c> when round trips are slow or the silo finds itself
    /// degraded, and a refused probe is followed by the next only a period later: on a loaded two-core machine the
    /// period was 1.9 s and a killed silo was declared dead 3.2 s after the kill (up to about 8 s at four-second periods).
    /// </summary>
    public static void BoundProbePeriod(ClusterMembershipOptions options, IConfiguration membership)
    {
        if (membership[nameof(ClusterMembershipOptions.MaxProbeTimeout)] is null)
        {
            options.MaxProbeTimeout = options.ProbeTimeout;
        }
    }
}
