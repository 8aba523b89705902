using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// Tests of a deadline the contract states to the second (an expired lease's slot offered within one second) run
/// alone, after every parallel collection: in one full run a slot was offered 1.3 s after <c>expiresAt</c> while the
/// two cores also ran every other collection, a delay of the machine rather than of the server. They get a PostgreSQL
/// server of their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "timing";
}
