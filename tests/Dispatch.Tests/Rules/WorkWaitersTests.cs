using System.Diagnostics;
using Dispatch.Api.Work;
using Dispatch.Common;
using Dispatch.Events;
using Dispatch.Work;

namespace Dispatch.Tests.Rules;

/// <summary>
/// Long polling on one silo with the cluster left out: claims against a count of free tasks, and work signals sent
/// by hand, so that a signal can be lost on purpose and every claim counted.
/// </summary>
public sealed class WorkWaitersTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private readonly Signals _signals = new();
    private readonly WorkWaiters _waiters;
    private int _free;
    private int _claims;

    public WorkWaitersTests() => _waiters = new WorkWaiters(_signals, TimeProvider.System, meters: null);

    [Fact]
    public async Task AWaitingClaim_ClaimsOnceMoreAtItsDeadline_WhenTheSignalForFreeWorkWasLost()
    {
        var claim = WaitAsync(TimeSpan.FromSeconds(1));
        await EventuallyAsync(() => _claims == 1, "the first claim");
        Interlocked.Increment(ref _free); // no signal tells the waiter

        var result = await claim;

        Assert.NotNull(result.Value);
        Assert.Equal(2, _claims);
    }

    [Fact]
    public async Task OneFreedSlot_WakesOneOfTenWaitingClaims_AndThreeWakeThree()
    {
        var claims = Enumerable.Range(0, 10).Select(_ => WaitAsync(TimeSpan.FromSeconds(3))).ToList();
        await EventuallyAsync(() => _claims == 10, "ten first claims");

        Free(1);
        await EventuallyAsync(() => claims.Count(c => c.IsCompleted) == 1, "one lease");
        await Task.Delay(300);
        Assert.Equal(11, _claims);

        Free(3);
        await EventuallyAsync(() => claims.Count(c => c.IsCompleted) == 4, "three more leases");
        await Task.Delay(300);
        Assert.Equal(14, _claims);

        var results = await Task.WhenAll(claims);
        Assert.Equal(4, results.Count(r => r.Value is not null));
        Assert.Equal(20, _claims); // the six left claimed once more at their deadline
    }

    [Fact]
    public async Task TheFallback_WakesOneClaim_AndEachThatFindsWorkWakesTheNext_UntilOneFindsNone()
    {
        var claims = Enumerable.Range(0, 5).Select(_ => WaitAsync(TimeSpan.FromSeconds(3))).ToList();
        await EventuallyAsync(() => _claims == 5, "five first claims");
        Interlocked.Add(ref _free, 3); // three signals lost

        _signals.Fallback();

        await EventuallyAsync(() => claims.Count(c => c.IsCompleted) == 3, "three leases");
        await Task.Delay(300);
        Assert.Equal(5 + 4, _claims);
        Assert.Equal(0, _free);
    }

    [Fact]
    public async Task AWakeUpTheClaimCouldNotUse_GoesToTheNextInLine()
    {
        var gate = new TaskCompletionSource();
        var first = _waiters.ClaimAsync(
            async () =>
            {
                Interlocked.Increment(ref _claims);
                await gate.Task;
                return Result<LeaseGrant?>.Ok(Grant());
            },
            "p",
            TimeSpan.FromSeconds(3),
            CancellationToken.None);
        await EventuallyAsync(() => _claims == 1, "the first claim under way");
        var second = WaitAsync(TimeSpan.FromSeconds(3));
        await EventuallyAsync(() => _claims == 2, "the second claim");

        Free(1); // wakes the first in line, whose claim is still under way and then gets other work
        gate.SetResult();
        Assert.NotNull((await first).Value);

        Assert.NotNull((await second.WaitAsync(TimeSpan.FromSeconds(2))).Value);
    }

    private void Free(int slots)
    {
        Interlocked.Add(ref _free, slots);
        _signals.Send(new WorkSignal("p", slots));
    }

    private Task<Result<LeaseGrant?>> WaitAsync(TimeSpan wait) =>
        _waiters.ClaimAsync(ClaimAsync, "p", wait, CancellationToken.None);

    private async Task<Result<LeaseGrant?>> ClaimAsync()
    {
        await Task.Yield();
        Interlocked.Increment(ref _claims);
        while (true)
        {
            var free = Volatile.Read(ref _free);
            if (free == 0)
            {
                return Result<LeaseGrant?>.Ok(null);
            }

            if (Interlocked.CompareExchange(ref _free, free - 1, free) == free)
            {
                return Result<LeaseGrant?>.Ok(Grant());
            }
        }
    }

    private static LeaseGrant Grant() => new(Guid.NewGuid().ToString("N"), "p", "t", "{}", null, null, DateTimeOffset.UtcNow.AddMinutes(5));

    private static async Task EventuallyAsync(Func<bool> holds, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!holds())
        {
            Assert.True(clock.Elapsed < Patience, $"{what} did not happen within {Patience.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    private sealed class Signals : IWorkSignals
    {
        private Action<WorkSignal> _onWork = _ => { };
        private Action _onFallback = () => { };

        public void Listen(Action<WorkSignal> onWork, Action onFallback)
        {
            _onWork = onWork;
            _onFallback = onFallback;
        }

        public void Send(WorkSignal signal) => _onWork(signal);

        public void Fallback() => _onFallback();
    }
}
