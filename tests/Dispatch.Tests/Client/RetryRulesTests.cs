using System.Net;
using Dispatch.Client;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Client;

/// <summary>
/// Which calls the client sends again: a call whose repeat is harmless is retried past a <c>503</c>; a claim or a
/// submit is not, because the host may have acted on the first one (here it always has).
/// </summary>
public abstract class RetryRulesTests : ClientTestBase
{
    [Fact]
    public async Task Reads_AreRetriedPastA503_WhileClaimsAndSubmitsAreSentOnce()
    {
        var proxy = new FaultyProxy((request, response) =>
            response.IsSuccessStatusCode && request.RequestUri!.AbsolutePath.Contains("/v1/workers/wrk-", StringComparison.Ordinal) && !Seen(request)
                ? FaultyProxy.Spoil.Unavailable
                : FaultyProxy.Spoil.No);
        await using var kit = await KitAsync(() => proxy);
        var crew = await kit.CrewAsync();
        await crew.ImportAsync("t1");

        var worker = await crew.Worker.GetWorkerAsync(crew.WorkerId);
        Assert.Equal(crew.WorkerId, worker.Id);
        Assert.Equal(2, proxy.Count(HttpMethod.Get, $"/workers/{crew.WorkerId}"));

        var claim = await Assert.ThrowsAsync<DispatchProblemException>(() => crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, ProblemTypes.Unavailable, TimeSpan.FromSeconds(1)), (claim.Status, claim.Type, claim.RetryAfter));
        Assert.Equal(1, proxy.Count(HttpMethod.Post, "/leases"));
        var granted = Assert.Single(await crew.Worker.ListLeasesAsync(crew.WorkerId));

        var submit = await Assert.ThrowsAsync<DispatchProblemException>(() => crew.Worker.SubmitAsync(crew.WorkerId, granted.LeaseId, ClientKit.Json("cat")));
        Assert.True(submit.Is(ProblemTypes.Unavailable), submit.Message);
        Assert.Equal(1, proxy.Count(HttpMethod.Post, "/submit"));
        var task = await crew.Requester.GetTaskAsync(crew.ProjectId, "t1");
        Assert.Equal((TaskState.Completed, 1), (task.State, task.Submissions.Count));
    }

    private readonly HashSet<string> _seen = [];

    /// <summary>True from the second attempt of a call (method and path) on: only first answers are spoiled.</summary>
    private bool Seen(HttpRequestMessage request)
    {
        lock (_seen)
        {
            return !_seen.Add(request.Method + " " + request.RequestUri!.AbsolutePath);
        }
    }
}

public sealed class RetryRulesOnMemoryTests(MemoryApiHost host) : RetryRulesTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

[Collection(PostgresCollection.Name)]
public sealed class RetryRulesOnPostgresTests(PostgresServer postgres, PostgresApiHost host) : RetryRulesTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}

/// <summary>A host whose workers may make two calls a second, so that a short burst meets <c>429 rate-limited</c>.</summary>
public sealed class TightRateLimitHost() : MemoryApiHost(new Dictionary<string, string>
{
    ["Dispatch:RateLimits:WorkerPerSecond"] = "2",
    ["Dispatch:RateLimits:WorkerBurst"] = "2",
});

public sealed class RateLimitRetryTests(TightRateLimitHost host) : ClientTestBase, IClassFixture<TightRateLimitHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    [Fact]
    public async Task RateLimitedCalls_EvenClaims_AreSentAgainNoSoonerThanRetryAfterSays()
    {
        var proxy = new FaultyProxy((_, _) => FaultyProxy.Spoil.No);
        await using var kit = await KitAsync(() => proxy);
        var crew = await kit.CrewAsync();

        for (var i = 0; i < 8; i++)
        {
            Assert.Null(await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId));
        }

        List<(HttpMethod Method, string Path, HttpStatusCode? Status, DateTime At, TimeSpan? RetryAfter)> claims;
        lock (proxy.Attempts)
        {
            claims = [.. proxy.Attempts.Where(a => a.Path.EndsWith("/leases", StringComparison.Ordinal))];
        }

        var limited = claims.Select((a, i) => (Attempt: a, Next: i + 1 < claims.Count ? claims[i + 1] : default)).Where(p => p.Attempt.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.Equal(8, claims.Count(a => a.Status == HttpStatusCode.NoContent));
        Assert.All(limited, p => Assert.True(
            p.Next.At - p.Attempt.At >= p.Attempt.RetryAfter!.Value - TimeSpan.FromMilliseconds(50),
            $"retried after {(p.Next.At - p.Attempt.At).TotalMilliseconds:0} ms though Retry-After said {p.Attempt.RetryAfter}"));
    }
}
