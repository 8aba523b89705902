using Dispatch.Api.Work;

namespace Dispatch.Tests.Rules;

public sealed class WaitingClaimsTests
{
    private readonly WaitingClaims _waiting = new();

    [Fact]
    public void Wake_WakesAsManyAsAsked_LongestWaitingFirst()
    {
        var waiters = Enumerable.Range(0, 5).Select(_ => _waiting.Join("p", CancellationToken.None)).ToList();

        Assert.Equal(1, _waiting.Wake("p", 1, WakeReason.Signal));
        Assert.Equal([true, false, false, false, false], waiters.Select(IsWoken));

        Assert.Equal(2, _waiting.Wake("p", 2, WakeReason.Signal));
        Assert.Equal([true, true, true, false, false], waiters.Select(IsWoken));
        Assert.Equal(2, _waiting.Count);
    }

    [Fact]
    public void Wake_NeverWakesMoreThanWait()
    {
        var waiters = Enumerable.Range(0, 3).Select(_ => _waiting.Join("p", CancellationToken.None)).ToList();

        Assert.Equal(3, _waiting.Wake("p", int.MaxValue, WakeReason.Signal));

        Assert.All(waiters, w => Assert.True(IsWoken(w)));
        Assert.Equal(0, _waiting.Count);
    }

    [Fact]
    public void Wake_TakesRoutedAndNamedClaimsInTheOrderTheyBeganToWait_AndNoOtherProjects()
    {
        var routed = _waiting.Join(null, CancellationToken.None);
        var other = _waiting.Join("q", CancellationToken.None);
        var named = _waiting.Join("p", CancellationToken.None);
        var laterRouted = _waiting.Join(null, CancellationToken.None);

        Assert.Equal(2, _waiting.Wake("p", 2, WakeReason.Signal));

        Assert.True(IsWoken(routed));
        Assert.True(IsWoken(named));
        Assert.False(IsWoken(other));
        Assert.False(IsWoken(laterRouted));
    }

    [Fact]
    public void Wake_PassesOverClaimsWhoseCallerWentAway()
    {
        using var gone = new CancellationTokenSource();
        var left = _waiting.Join("p", gone.Token);
        var stays = _waiting.Join("p", CancellationToken.None);
        gone.Cancel();

        Assert.Equal(1, _waiting.Wake("p", 1, WakeReason.Signal));

        Assert.False(IsWoken(left));
        Assert.True(IsWoken(stays));
    }

    [Fact]
    public async Task WakeFirstOfEachLine_WakesOneClaimPerProjectAndOneRouted()
    {
        var p = Enumerable.Range(0, 3).Select(_ => _waiting.Join("p", CancellationToken.None)).ToList();
        var q = Enumerable.Range(0, 2).Select(_ => _waiting.Join("q", CancellationToken.None)).ToList();
        var routed = Enumerable.Range(0, 2).Select(_ => _waiting.Join(null, CancellationToken.None)).ToList();

        Assert.Equal(3, _waiting.WakeFirstOfEachLine());

        Assert.Equal([true, false, false], p.Select(IsWoken));
        Assert.Equal([true, false], q.Select(IsWoken));
        Assert.Equal([true, false], routed.Select(IsWoken));
        Assert.Equal(WakeReason.Fallback, await p[0].Woken.Task);
    }

    [Fact]
    public void Leave_SaysOnceThatAWakeUpWentUnused_SoItIsPassedOnOnce()
    {
        var woken = _waiting.Join("p", CancellationToken.None);
        var unwoken = _waiting.Join("p", CancellationToken.None);
        _waiting.Wake("p", 1, WakeReason.Signal);

        Assert.True(_waiting.Leave(woken));
        Assert.False(_waiting.Leave(woken));
        Assert.False(_waiting.Leave(unwoken));
        Assert.Equal(0, _waiting.Count);
    }

    [Fact]
    public void Leave_AfterTheWakeUpWasUsed_PassesNothingOn()
    {
        var waiter = _waiting.Join("p", CancellationToken.None);
        _waiting.Wake("p", 1, WakeReason.Signal);
        waiter.Used = true;

        Assert.False(_waiting.Leave(waiter));
    }

    [Fact]
    public void WakeAnother_WakesTheNextOfTheSameLine()
    {
        var first = _waiting.Join("p", CancellationToken.None);
        var next = _waiting.Join("p", CancellationToken.None);
        var elsewhere = _waiting.Join("q", CancellationToken.None);
        _waiting.Leave(first);

        Assert.Equal(1, _waiting.WakeAnother(first, WakeReason.Fallback));

        Assert.True(IsWoken(next));
        Assert.False(IsWoken(elsewhere));
    }

    [Fact]
    public void WakeAnother_NeverWakesTheClaimThatPassesItOn()
    {
        var alone = _waiting.Join("p", CancellationToken.None);

        Assert.Equal(0, _waiting.WakeAnother(alone, WakeReason.Fallback));

        Assert.False(IsWoken(alone));
        Assert.Equal(0, _waiting.Count);
    }

    private static bool IsWoken(WaitingClaims.Waiter waiter) => waiter.Woken.Task.IsCompleted;
}
