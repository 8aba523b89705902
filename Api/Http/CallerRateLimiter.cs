using System.Net;
using System.Threading.RateLimiting;
using Dispatch.Api.Auth;

namespace Dispatch.Api;

/// <summary>Rate limits per worker and per requester, from <see cref="RateLimitOptions"/>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Whether requesters and workers are rate limited at all (the admin never is). Default: true.</summary>
    public bool Enabled { get; set; } = true;

    // The defaults stop a runaway or hostile client, not a busy honest one: a person labelling needs a few
    // requests a second, and a platform's backend reading results may need thousands.

    /// <summary>Sustained requests per second one worker may make. Default: 100.</summary>
    public int WorkerPerSecond { get; set; } = 100;

    /// <summary>Requests one worker may make in a burst above the sustained rate. Default: 200.</summary>
    public int WorkerBurst { get; set; } = 200;

    /// <summary>Sustained requests per second one requester may make. Default: 1,000.</summary>
    public int RequesterPerSecond { get; set; } = 1000;

    /// <summary>Requests one requester may make in a burst above the sustained rate. Default: 2,000.</summary>
    public int RequesterBurst { get; set; } = 2000;

    /// <summary>Event streams (SSE) one requester may hold open at once on one silo. Default: 4.</summary>
    public int EventStreamsPerCaller { get; set; } = 4;

    // Each call whose secret this silo has not verified yet may cost a grain activation and a storage read. Workers
    // behind one NAT share an address and all verify again after a restart, hence the large burst.

    /// <summary>Sustained calls per second from one client address whose secret this silo has not verified yet. Default: 50.</summary>
    public int UnverifiedPerSecond { get; set; } = 50;

    /// <summary>Such calls one client address may make in a burst above the sustained rate. Default: 500.</summary>
    public int UnverifiedBurst { get; set; } = 500;
}

/// <summary>
/// One token bucket per worker and per requester (System.Threading.RateLimiting, the limiter behind ASP.NET
/// Core's rate limiting), applied by the authorization filter once the caller is known; and one per client address
/// for calls whose secret must still be verified, applied before that verification.
/// </summary>
public sealed class CallerRateLimiter : IDisposable
{
    private readonly RateLimitOptions _options;
    private readonly PartitionedRateLimiter<Caller> _limiter;
    private readonly PartitionedRateLimiter<IPAddress?> _unverified;

    public CallerRateLimiter(RateLimitOptions options)
    {
        _options = options;
        _limiter = PartitionedRateLimiter.Create<Caller, string>(caller =>
        {
            var (perSecond, burst) = caller.Role == Roles.Worker
                ? (options.WorkerPerSecond, options.WorkerBurst)
                : (options.RequesterPerSecond, options.RequesterBurst);
            return Bucket($"{caller.Role}:{caller.Id}", perSecond, burst);
        });
        _unverified = PartitionedRateLimiter.Create<IPAddress?, string>(address =>
            Bucket(address?.ToString() ?? "unknown", options.UnverifiedPerSecond, options.UnverifiedBurst));
    }

    /// <summary>Null when the call may go ahead; otherwise how long to wait before trying again.</summary>
    public TimeSpan? Refusal(Caller caller)
    {
        if (!_options.Enabled || caller.IsAdmin)
        {
            return null;
        }

        using var lease = _limiter.AttemptAcquire(caller);
        return Wait(lease);
    }

    /// <summary>Like <see cref="Refusal(Caller)"/>, for a call from <paramref name="client"/> whose secret must still be verified.</summary>
    public TimeSpan? UnverifiedRefusal(IPAddress? client)
    {
        if (!_options.Enabled)
        {
            return null;
        }

        using var lease = _unverified.AttemptAcquire(client);
        return Wait(lease);
    }

    public void Dispose()
    {
        _limiter.Dispose();
        _unverified.Dispose();
    }

    private static RateLimitPartition<string> Bucket(string key, int perSecond, int burst) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, burst),
            TokensPerPeriod = Math.Max(1, perSecond),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    private static TimeSpan? Wait(RateLimitLease lease) =>
        lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
}
