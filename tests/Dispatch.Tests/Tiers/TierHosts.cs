using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// The settings of every host of these suites: per-caller rate limits off. A test here drives one worker as fast as
/// the server answers (draining many projects, measuring claim latency), which the default limit of 20 requests a
/// second per worker would turn into <c>429 rate-limited</c>; the limits have their own tests (RateLimitTests).
/// </summary>
internal static class TierHostSettings
{
    public static DispatchApiFactory Apply(DispatchApiFactory factory)
    {
        factory.Settings["Dispatch:RateLimits:Enabled"] = "false";
        return factory;
    }
}

/// <summary>One memory-mode host shared by the tests of a class (as <c>MemoryApiHost</c>, without rate limits).</summary>
public sealed class TierMemoryHost : IAsyncLifetime
{
    public DispatchApiFactory Factory { get; } = TierHostSettings.Apply(DispatchApiFactory.ForMemory());

    public Task InitializeAsync()
    {
        Factory.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Factory.DisposeAsync().AsTask();
}

/// <summary>
/// One postgres-mode host shared by the tests of a class, on a fresh database of the collection's server (as
/// <c>PostgresApiHost</c>, without rate limits). It starts on first use because a class fixture cannot take the
/// collection fixture in its constructor.
/// </summary>
public sealed class TierPostgresHost : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DispatchApiFactory? _factory;

    public async Task<DispatchApiFactory> GetAsync(PostgresServer server)
    {
        await _gate.WaitAsync();
        try
        {
            if (_factory is null)
            {
                var connectionString = await server.CreateDatabaseAsync();
                _factory = TierHostSettings.Apply(DispatchApiFactory.ForPostgres(connectionString)).Start();
            }

            return _factory;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _gate.Dispose();
    }
}
