using System.Diagnostics;
using System.Net;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// Long polling (docs/api.md, Work): a claim with <c>waitSeconds</c> answers as soon as work appears, whatever frees it
/// (an import, a release, an expiry, a retry), and <c>204</c> only after waiting the whole time.
/// </summary>
public abstract class LongPollingTests : WorkTestBase
{
    private static readonly TimeSpan WakesWithin = TimeSpan.FromSeconds(4);

    private static async Task AssertStillWaitingAsync(Task<ApiResponse> claim, string what)
    {
        if (claim.IsCompleted)
        {
            Assert.Fail($"{what}: {await claim}");
        }
    }

    [Fact]
    public async Task WaitingClaim_ReturnsAsSoonAsTasksAreImported()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var worker = await CreateWorkerAsync();

        var clock = Stopwatch.StartNew();
        var claim = ClaimAsync(worker, projectId, waitSeconds: 10);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await AssertStillWaitingAsync(claim, "the claim answered before there was work");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var response = await claim;
        var elapsed = clock.Elapsed;

        Assert.Equal("t-0", ToLease(response, projectId).TaskId);
        Assert.True(elapsed < WakesWithin, $"the waiting claim answered after {elapsed.TotalSeconds:0.00} s; the tasks came after 1 s");
    }

    [Fact]
    public async Task WaitingClaim_Is204AfterWaitSeconds_WhenNoWorkAppears()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var worker = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();
        await ClaimLeaseAsync(other, projectId); // the only task is busy for the next five minutes

        var clock = Stopwatch.StartNew();
        var response = await ClaimAsync(worker, projectId, waitSeconds: 1);
        var elapsed = clock.Elapsed;

        response.IsEmpty(HttpStatusCode.NoContent);
        Assert.InRange(elapsed.TotalSeconds, 0.9, 3.0);

        clock.Restart();
        (await ClaimAsync(worker, projectId, waitSeconds: 0)).IsEmpty(HttpStatusCode.NoContent);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(0.9), $"waitSeconds 0 waited {clock.Elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task WaitingClaim_WakesWhenAnotherWorkerReleasesALease()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var holder = await CreateWorkerAsync();
        var waiter = await CreateWorkerAsync();
        var held = await ClaimLeaseAsync(holder, projectId);

        var clock = Stopwatch.StartNew();
        var claim = ClaimAsync(waiter, projectId, waitSeconds: 10);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await AssertStillWaitingAsync(claim, "the claim answered while the only task was leased");
        (await ReleaseAsync(holder, held.LeaseId)).Is(HttpStatusCode.OK);
        var response = await claim;
        var elapsed = clock.Elapsed;

        Assert.Equal("t-0", ToLease(response, projectId).TaskId);
        Assert.True(elapsed < WakesWithin, $"the waiting claim answered after {elapsed.TotalSeconds:0.00} s; the release came after 1 s");
    }

    [Fact]
    public async Task WaitingClaim_WakesWhenALeaseExpires()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"leaseSeconds":1}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var holder = await CreateWorkerAsync();
        var waiter = await CreateWorkerAsync();
        var held = await ClaimLeaseAsync(holder, projectId);

        var response = await ClaimAsync(waiter, projectId, waitSeconds: 10);
        var at = DateTimeOffset.UtcNow;

        Assert.Equal("t-0", ToLease(response, projectId).TaskId);
        Assert.True(
            at - held.ExpiresAt <= TimeSpan.FromSeconds(1.5),
            $"the waiting claim answered {(at - held.ExpiresAt).TotalSeconds:0.00} s after the lease's expiresAt");
    }

    [Fact]
    public async Task WaitingClaim_WakesWhenADeadLetterIsRetried()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"maxAttempts":1}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var dropper = await CreateWorkerAsync();
        var waiter = await CreateWorkerAsync();
        (await ReleaseAsync(dropper, (await ClaimLeaseAsync(dropper, projectId)).LeaseId)).Is(HttpStatusCode.OK);
        Assert.Equal("deadLettered", StateOf(await GetTaskAsync(owner.Client, projectId, "t-0")));

        var clock = Stopwatch.StartNew();
        var claim = ClaimAsync(waiter, projectId, waitSeconds: 10);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await AssertStillWaitingAsync(claim, "the claim answered while the only task was dead-lettered");
        (await owner.Client.PostApiAsync($"{TaskPath(projectId, "t-0")}/retry", null)).Is(HttpStatusCode.OK);
        var response = await claim;
        var elapsed = clock.Elapsed;

        Assert.Equal("t-0", ToLease(response, projectId).TaskId);
        Assert.True(elapsed < WakesWithin, $"the waiting claim answered after {elapsed.TotalSeconds:0.00} s; the retry came after 1 s");
    }

    [Fact]
    public async Task ManyWaitingClaims_AsManyWakeAsTasksCame_EachForItsOwnTask()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var workers = new List<Worker>();
        for (var i = 0; i < 5; i++)
        {
            workers.Add(await CreateWorkerAsync());
        }

        using var woken = new WakeUpCounter(Host);
        var claims = workers.Select(async w =>
        {
            var clock = Stopwatch.StartNew();
            var response = await ClaimAsync(w, projectId, waitSeconds: 4);
            return (Response: response, Elapsed: clock.Elapsed);
        }).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await ImportAsync(owner.Client, projectId, SmallTasks(3, "t"));
        var answers = await Task.WhenAll(claims);

        // Three tasks for five waiters: the import wakes three, who get their leases soon after it; the other two
        // answer 204 after the full wait.
        Assert.Equal(3, woken.BySignal);
        var granted = answers.Where(a => a.Response.Status == HttpStatusCode.Created).ToList();
        Assert.Equal(new[] { "t-0", "t-1", "t-2" }, granted.Select(a => ToLease(a.Response, projectId).TaskId).Order());
        Assert.All(granted, a => Assert.True(a.Elapsed < TimeSpan.FromSeconds(3), $"a waiter got its lease after {a.Elapsed.TotalSeconds:0.00} s"));
        var idle = answers.Where(a => a.Response.Status != HttpStatusCode.Created).ToList();
        Assert.Equal(2, idle.Count);
        Assert.All(idle, a => a.Response.IsEmpty(HttpStatusCode.NoContent));
        Assert.All(idle, a => Assert.InRange(a.Elapsed.TotalSeconds, 3.9, 7.0));
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 3, activeLeases: 3);
    }
}

/// <summary>Long polling on in-memory storage.</summary>
public sealed class LongPollingTests_Memory(MemoryApiHost host) : LongPollingTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Long polling on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LongPollingTests_Postgres(PostgresServer postgres, PostgresApiHost host) : LongPollingTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
