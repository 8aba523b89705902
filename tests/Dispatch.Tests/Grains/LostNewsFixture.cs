using Orleans.Configuration;

namespace Dispatch.Tests.Grains;

/// <summary>
/// The two silos of <see cref="GrainClusterFixture"/>, with <see cref="LostNews"/> and <see cref="ShardNews"/> in every silo and failure detection
/// fast enough that a killed silo is declared dead within seconds.
/// </summary>
public sealed class LostNewsFixture : GrainClusterFixture
{
    protected override void Configure(ISiloBuilder silo)
    {
        silo.AddIncomingGrainCallFilter<LostNews>();
        silo.AddIncomingGrainCallFilter<ShardNews>();
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }
}
