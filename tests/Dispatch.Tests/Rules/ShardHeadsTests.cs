using Dispatch.Grains.SiloViews;
using Dispatch.Tasks;
using Microsoft.Extensions.Options;

namespace Dispatch.Tests.Rules;

public sealed class ShardHeadsTests
{
    private sealed class SettableTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly SettableTime _time = new();
    private readonly IOptions<SiloViewOptions> _options = Options.Create(new SiloViewOptions());

    [Fact]
    public void Best_IsTheShardWhoseFirstTaskComesFirst_HigherPriorityBeforeOlder()
    {
        var heads = new ShardHeads(_options, _time);
        heads.Take("p", [new QueueHead(0, 1), null, new QueueHead(5, 90), new QueueHead(5, 40)]);

        Assert.Equal(3, heads.Best("p"));
    }

    [Fact]
    public void Best_FollowsEachClaimsAnswer()
    {
        var heads = new ShardHeads(_options, _time);
        heads.Take("p", [new QueueHead(0, 1), new QueueHead(0, 2)]);

        heads.Update("p", 0, new QueueHead(0, 3));
        Assert.Equal(1, heads.Best("p"));

        heads.Update("p", 1, null);
        Assert.Equal(0, heads.Best("p"));
    }

    [Fact]
    public void Best_IsUnknown_WhenThePictureIsOldForgottenOrEmpty()
    {
        var heads = new ShardHeads(_options, _time);
        Assert.Null(heads.Best("p"));

        heads.Take("p", [null, null]);
        Assert.Null(heads.Best("p"));

        heads.Take("p", [new QueueHead(0, 1)]);
        _time.Now += _options.Value.ShardHeadsMaxAge;
        Assert.Null(heads.Best("p"));

        heads.Take("p", [new QueueHead(0, 1)]);
        heads.Forget("p");
        Assert.Null(heads.Best("p"));
    }
}
