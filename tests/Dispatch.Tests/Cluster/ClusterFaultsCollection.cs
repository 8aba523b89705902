using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// The fault tests of a cluster run alone, after every parallel collection: they start several silo processes and
/// stop PostgreSQL, which neither the timing checks of other tests nor their databases should have to share. They
/// get a PostgreSQL server of their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterFaultsCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "cluster-faults";
}
