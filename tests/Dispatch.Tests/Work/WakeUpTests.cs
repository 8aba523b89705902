using System.Diagnostics;
using System.Net;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// How waiting claims are woken (docs/api.md, Work): about as many as the work signal freed slots, and whatever
/// happened to the signals, a claim answers <c>204</c> only if nothing was free when it last looked, at its deadline.
/// The periodic fallback is set to an hour here, so that only signals and deadlines wake claims. Signals travel the
/// same way whatever the storage, so memory storage is enough.
/// </summary>
public sealed class WakeUpTests(WakeUpTests.NoFallbackHost host) : WorkTestBase, IClassFixture<WakeUpTests.NoFallbackHost>
{
    public sealed class NoFallbackHost() : LosingSignalsHost("01:00:00");

    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    [Fact]
    public async Task WaitingClaim_GetsATaskFreedWhileItWaited_AtItsDeadline_WhenTheWorkSignalWasLost()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var worker = await CreateWorkerAsync();
        var signals = LosingWorkSignals.Of(Host);

        signals.Losing = true;
        try
        {
            var clock = Stopwatch.StartNew();
            var claim = ClaimAsync(worker, projectId, waitSeconds: 3);
            await Task.Delay(TimeSpan.FromSeconds(1));
            await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
            var response = await claim;

            Assert.Equal("t-0", ToLease(response, projectId).TaskId);
            Assert.InRange(clock.Elapsed.TotalSeconds, 2.9, 6.0);
        }
        finally
        {
            signals.Losing = false;
        }
    }

    [Fact]
    public async Task OneReleasedLease_WakesOneOfEightWaitingClaims_AndTheOthersWaitOn()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var holder = await CreateWorkerAsync();
        var held = await ClaimLeaseAsync(holder, projectId);
        var waiters = new List<Worker>();
        for (var i = 0; i < 8; i++)
        {
            waiters.Add(await CreateWorkerAsync());
        }

        using var woken = new WakeUpCounter(Host);
        var claims = waiters.Select(w => ClaimAsync(w, projectId, waitSeconds: 6)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(claims, c => c.IsCompleted);

        var before = woken.BySignal; // the import's signal may still be on its way, and wake one who finds nothing
        (await ReleaseAsync(holder, held.LeaseId)).Is(HttpStatusCode.OK);
        var first = await Task.WhenAny(claims).WaitAsync(TimeSpan.FromSeconds(3));
        Assert.Equal("t-0", ToLease(await first, projectId).TaskId);
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(before + 1, woken.BySignal);
        Assert.Equal(1, claims.Count(c => c.IsCompleted));
        var answers = await Task.WhenAll(claims);
        Assert.Equal(7, answers.Count(a => a.Status == HttpStatusCode.NoContent));
    }
}
