using Dispatch.Events;
using Dispatch.Grains.SiloViews;
using Dispatch.Tasks;
using Microsoft.Extensions.Options;

namespace Dispatch.Tests.Rules;

public sealed class WorkSignalsTests
{
    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    }

    private readonly WorkAvailability _availability;
    private readonly ShardHeads _heads;
    private readonly WorkSignals _signals;

    public WorkSignalsTests()
    {
        var options = Options.Create(new SiloViewOptions());
        _availability = new WorkAvailability(options, new FixedTime());
        _heads = new ShardHeads(options, new FixedTime());
        _signals = new WorkSignals(_availability, _heads);
    }

    [Fact]
    public void Received_ClearsTheViewsOfThatProjectOnly()
    {
        Remember("p");
        Remember("q");

        _signals.Received(new WorkSignal("p", 1));

        Assert.False(IsKnownEmpty("p"));
        Assert.Null(_heads.Best("p"));
        Assert.True(IsKnownEmpty("q"));
        Assert.Equal(0, _heads.Best("q"));
    }

    [Fact]
    public void Received_WakesEveryListener_AfterTheViewsAreCleared()
    {
        Remember("p");
        var heard = new List<string>();
        _signals.Listen(signal => heard.Add($"first {signal.ProjectId} {(IsKnownEmpty(signal.ProjectId) ? "stale" : "cleared")}"), () => { });
        _signals.Listen(signal => heard.Add($"second {signal.ProjectId} {(_heads.Best(signal.ProjectId) is null ? "cleared" : "stale")}"), () => { });

        _signals.Received(new WorkSignal("p", 1));

        Assert.Equal(["first p cleared", "second p cleared"], heard);
    }

    [Fact]
    public void Sent_ClearsTheViewsHere_AndLeavesListenersToTheStream()
    {
        Remember("p");
        var heard = 0;
        _signals.Listen(_ => heard++, () => heard++);

        _signals.Sent("p");

        Assert.False(IsKnownEmpty("p"));
        Assert.Null(_heads.Best("p"));
        Assert.Equal(0, heard);
    }

    [Fact]
    public void Fallback_WakesEveryListener_AndLeavesTheViewsAlone()
    {
        Remember("p");
        var fallbacks = 0;
        var signals = 0;
        _signals.Listen(_ => signals++, () => fallbacks++);
        _signals.Listen(_ => signals++, () => fallbacks++);

        _signals.Fallback();

        Assert.Equal(2, fallbacks);
        Assert.Equal(0, signals);
        Assert.True(IsKnownEmpty("p"));
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(0, WorkSignal.AllSlots)]
    [InlineData(-1, WorkSignal.AllSlots)]
    [InlineData(WorkSignal.AllSlots, WorkSignal.AllSlots)]
    public void Wakes_IsTheSlots_OrEveryWaiterWhenTheSenderDidNotCount(int slots, int wakes) =>
        Assert.Equal(wakes, new WorkSignal("p", slots).Wakes);

    private void Remember(string projectId)
    {
        _availability.MarkEmpty(projectId);
        _heads.Take(projectId, [new QueueHead(0, 1)]);
    }

    private bool IsKnownEmpty(string projectId)
    {
        var rechecks = 0;
        return _availability.IsKnownEmpty(projectId, ref rechecks);
    }
}
