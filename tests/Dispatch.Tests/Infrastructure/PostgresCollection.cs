namespace Dispatch.Tests.Infrastructure;

/// <summary>
/// The test classes that need PostgreSQL share one <see cref="PostgresServer"/> for the run; each test creates its
/// own database on it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
