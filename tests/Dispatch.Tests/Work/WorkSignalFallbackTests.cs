using System.Diagnostics;
using Dispatch.Events;
using Dispatch.Grains.SiloViews;
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
    public sealed class QuickFallbackHost() : LosingSignalsHost("00:00:01");

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
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // rounds that find the subscription standing make no other
        Assert.Single(await WorkSubscriptionsAsync());

        foreach (var subscription in await WorkSubscriptionsAsync())
        {
            await Subscriptions.RemoveSubscription(EventStreams.Provider, WorkStream, subscription.SubscriptionId);
        }

        Assert.Empty(await WorkSubscriptionsAsync());
        await Task.Delay(TimeSpan.FromSeconds(3)); // a round notices and subscribes again
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "b"));

        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref heard)), n => n >= 2, TimeSpan.FromSeconds(5), "a signal after the stream forgot the subscription arrives");
        Assert.Equal(2, Volatile.Read(ref heard));
        Assert.Single(await WorkSubscriptionsAsync());
    }

    private static readonly StreamId WorkStream = StreamId.Create(EventStreams.WorkNamespace, EventStreams.WorkKey);

    /// <summary>
    /// The stream's own record of its subscribers, which lives in the memory of one silo: removing a subscription
    /// from it is what the loss of that silo does to every subscription, without a word to the subscribers.
    /// </summary>
    private IStreamSubscriptionManager Subscriptions =>
        Host.Services.GetRequiredService<IStreamSubscriptionManagerAdmin>().GetStreamSubscriptionManager(StreamSubscriptionManagerType.ExplicitSubscribeOnly);

    private async Task<List<StreamSubscription>> WorkSubscriptionsAsync() =>
        [.. await Subscriptions.GetSubscriptions(EventStreams.Provider, WorkStream)];
}
