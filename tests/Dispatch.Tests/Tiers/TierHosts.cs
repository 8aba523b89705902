using Dispatch.Tests.Http;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// The settings of every host of these suites: per-caller rate limits off. A test here drives one worker as fast as
/// the server answers (draining many projects, measuring claim latency), which a per-worker limit would turn into
/// <c>429 rate-limited</c>; the limits have their own tests (RateLimitTests).
/// </summary>
internal static class TierHostSettings
{
    public static readonly IReadOnlyDictionary<string, string> NoRateLimits = new Dictionary<string, string>
    {
        ["Dispatch:RateLimits:Enabled"] = "false",
    };
}

/// <summary>One memory-mode host shared by the tests of a class, without rate limits.</summary>
public sealed class TierMemoryHost() : MemoryApiHost(TierHostSettings.NoRateLimits);

/// <summary>One postgres-mode host shared by the tests of a class, without rate limits.</summary>
public sealed class TierPostgresHost() : PostgresApiHost(TierHostSettings.NoRateLimits);
