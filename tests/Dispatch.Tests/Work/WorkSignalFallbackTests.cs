using System.Diagnostics;
using Dispatch.Events;
using Dispatch.Grains.SiloViews;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Streams.Core;

namespace Dispatch.Tests.Work;

/// <summary>
/// The safety nets under the work signals, with <c>Dispatch:SiloViews:WorkSignalFallback</c> at one second: waiting
/// claims are woken periodically even when every signal is lost, and a silo whose subscription the stream forgot (as
/// when the silo holding the stream's subscribers is lost) subscribes again. Signals and the stream's subscribers
/// live in memory whatever the storage, so memory storage is enough.
/// </summary>
public sealed class WorkSignalFallbackTests(WorkSignalFallbackTests.QuickFallbackHost host) : WorkTestBase, IClassFixture<WorkSignalFallbackTests.QuickFallbackHost>
{
    public sealed class QuickFallbackHost : MemoryApiHost
    {
        public QuickFallbackHost()
            : base(new Dictionary<string, string> { ["Dispatch:SiloViews:WorkSignalFallback"] = "00:00:01" }) =>
            LosingWorkSignals.Install(Factory);
    }

    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    [Fact]
    public async Task WaitingClaim_IsWokenByTheFallback_WhenEveryWorkSignalIsLost()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var workers = new List<Worker>();
        for (var i = 0; i < 3; i++)
        {
            workers.Add(await CreateWorkerAsync());
        }

        var signals = LosingWorkSignals.Of(Host);
        signals.Losing = true;
        try
        {
            var claims = workers.Select(async w =>
            {
                var clock = Stopwatch.StartNew();
                var response = await ClaimAsync(w, projectId, waitSeconds: 15);
                return (Response: response, Elapsed: clock.Elapsed);
            }).ToList();
            await Task.Delay(TimeSpan.FromSeconds(1));
            await ImportAsync(owner.Client, projectId, SmallTasks(3, "t"));
            var answers = await Task.WhenAll(claims);

            // One fallback round wakes the first waiter; each lease it finds wakes the next.
            Assert.Equal(["t-0", "t-1", "t-2"], answers.Select(a => ToLease(a.Response, projectId).TaskId).Order());
            Assert.All(answers, a => Assert.True(a.Elapsed < TimeSpan.FromSeconds(5), $"a waiter got its lease after {a.Elapsed.TotalSeconds:0.00} s; the tasks came after 1 s"));
        }
        finally
        {
            signals.Losing = false;
        }
    }

    [Fact]
    public async Task ASubscriptionTheStreamForgot_IsMadeAgain_AndSignalsArriveOnceMore()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var heard = 0;
        Host.Services.GetRequiredService<WorkSignals>().Listen(
            signal =>
            {
                if (signal.ProjectId == projectId)
                {
                    Interlocked.Increment(ref heard);
                }
            },
            () => { });
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "a"));
        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref heard)), n => n == 1, TimeSpan.FromSeconds(5), "the first signal arrives");

        var forgotten = await ForgetWorkSubscriptionsAsync();
        Assert.NotEqual(0, forgotten);
        await Task.Delay(TimeSpan.FromSeconds(3)); // rounds of the fallback that notice
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "b"));

        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref heard)), n => n >= 2, TimeSpan.FromSeconds(5), "a signal after the stream forgot the subscription arrives");
    }

    /// <summary>What the loss of the silo holding the stream's subscribers does: the stream forgets every subscription.</summary>
    private async Task<int> ForgetWorkSubscriptionsAsync()
    {
        var manager = Host.Services.GetRequiredService<IStreamSubscriptionManagerAdmin>()
            .GetStreamSubscriptionManager(StreamSubscriptionManagerType.ExplicitSubscribeOnly);
        var stream = StreamId.Create(EventStreams.WorkNamespace, EventStreams.WorkKey);
        var subscriptions = (await manager.GetSubscriptions(EventStreams.Provider, stream)).ToList();
        foreach (var subscription in subscriptions)
        {
            await manager.RemoveSubscription(EventStreams.Provider, stream, subscription.SubscriptionId);
        }

        return subscriptions.Count;
    }
}
