using Dispatch.Silo;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// What a silo's death does to the activations of the silos that survive it, with the grain directory the host
/// configures. Orleans' default directory deactivates every survivor activation whose directory entry the dead silo
/// held; a queue shard deactivated that way under a crowd waits on tasks that wait on it, and the cluster completed
/// nothing for the ten-second call deadline (<see cref="FailoverPauseTests"/>).
/// </summary>
public sealed class SurvivorActivationTests
{
    private const int Grains = 1000;

    [Fact]
    public async Task KilledSilo_LeavesEveryActivationOnTheSurvivorsInPlace()
    {
        // TestCluster, not InProcessTestCluster: the latter replaces the grain directory with one of its own that no
        // silo's death touches. TestClusterBuilder adds Orleans' distributed directory to every silo by itself; this
        // test wants the directory the host configures and nothing else.
        var builder = new TestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.SiloBuilderConfiguratorTypes.RemoveAll(type => type?.Contains("ConfigureDistributedGrainDirectory", StringComparison.Ordinal) == true);
        builder.AddSiloBuilderConfigurator<HostDirectory>();
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var doomed = await cluster.StartAdditionalSiloAsync();

        // Grains land on all three silos (most on the newest, the least loaded), and their directory entries are spread
        // over all three as well.
        var before = await Task.WhenAll(Enumerable.Range(0, Grains).Select(i => cluster.Client.GetGrain<IIncarnationGrain>(i).WhoAsync()));
        var survivors = before.Where(who => who.Silo != doomed.SiloAddress.ToString()).ToList();
        Assert.True(survivors.Count >= Grains / 6, $"only {survivors.Count} of {Grains} grains landed on the survivors");
        Assert.Contains(before, who => who.Silo == doomed.SiloAddress.ToString());

        await cluster.KillSiloAsync(doomed);
        await DeclaredDeadAsync(cluster.Client, doomed.SiloAddress);

        // A directory that deactivates does so when it learns of the death; give it time to finish.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var after = await Task.WhenAll(survivors.Select(who => cluster.Client.GetGrain<IIncarnationGrain>(who.Key).WhoAsync()));
        var replaced = survivors.Zip(after).Where(pair => pair.First.ActivationId != pair.Second.ActivationId).ToList();
        Assert.True(replaced.Count == 0,
            $"{replaced.Count} of the {survivors.Count} activations on the survivors were deactivated by the death of another silo");
    }

    /// <summary>The grain directory the host configures, and failure detection fast enough for a test.</summary>
    private sealed class HostDirectory : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            GrainDirectoryChoice.UseDistributedDirectory(silo);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
        }
    }

    private static async Task DeclaredDeadAsync(IClusterClient client, SiloAddress silo)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await management.GetHosts(onlyActive: false)).TryGetValue(silo, out var status) && status != SiloStatus.Dead)
        {
            Assert.True(DateTime.UtcNow < deadline, $"silo {silo} was not declared dead within 30 s (still {status})");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}

[Alias("Dispatch.Tests.Cluster.IIncarnationGrain")]
public interface IIncarnationGrain : IGrainWithIntegerKey
{
    [Alias("Who")]
    Task<Incarnation> WhoAsync();
}

/// <summary>Which activation of a grain answered, and on which silo.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.Tests.Cluster.Incarnation")]
public sealed record Incarnation([property: Id(0)] long Key, [property: Id(1)] string Silo, [property: Id(2)] Guid ActivationId);

public sealed class IncarnationGrain(ILocalSiloDetails silo) : Grain, IIncarnationGrain
{
    private readonly Guid _activationId = Guid.NewGuid();

    public Task<Incarnation> WhoAsync() => Task.FromResult(new Incarnation(this.GetPrimaryKeyLong(), silo.SiloAddress.ToString(), _activationId));
}
