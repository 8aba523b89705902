using Dispatch.Grains;
using Dispatch.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Dispatch.Tests.Grains;

/// <summary>
/// Two silos in this process sharing one memory task store (as they would share a database), with <see cref="LostNews"/>
/// in every silo and failure detection fast enough that a killed silo is declared dead within seconds.
/// </summary>
public sealed class LostNewsFixture : IAsyncLifetime
{
    private readonly MemoryTaskStore _store = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<ITaskStore>(_store);
            silo.AddDispatch();
            silo.AddIncomingGrainCallFilter<LostNews>();
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
