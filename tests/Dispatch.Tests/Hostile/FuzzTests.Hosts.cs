using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Hostile;

/// <summary>The fuzz suite on in-memory storage.</summary>
public sealed class FuzzTests_Memory(MemoryApiHost host, ITestOutputHelper output) : FuzzTests(output), IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>
/// The fuzz suite on PostgreSQL storage, on a database of its own: what a validator lets through reaches jsonb,
/// text columns and numeric sums here, which refuse things the memory backend keeps.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FuzzTests_Postgres(PostgresServer postgres, PostgresApiHost host, ITestOutputHelper output) : FuzzTests(output), IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
