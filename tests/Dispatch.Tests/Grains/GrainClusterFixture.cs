using Dispatch.Grains;
using Dispatch.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Dispatch.Tests.Grains;

/// <summary>
/// Two silos in this process with everything <c>AddDispatch</c> adds in memory mode. Both silos share one memory
/// task store, as they would share one database, so grains may land on either.
/// </summary>
public class GrainClusterFixture : IAsyncLifetime
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
            Configure(silo);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>What a fixture of its own adds to every silo.</summary>
    protected virtual void Configure(ISiloBuilder silo)
    {
    }
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain-cluster";
}
