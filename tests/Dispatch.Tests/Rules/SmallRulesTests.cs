using Dispatch.Common;
using Dispatch.Api;
using Dispatch.Api.Auth;
using Dispatch.Grains.Projects;
using Dispatch.Grains.Storage;
using Dispatch.Projects;

namespace Dispatch.Tests.Rules;

public sealed class SmallRulesTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("cats-vs-fur_2.v1", true)]
    [InlineData("-x", false)]
    [InlineData(".x", false)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("ünicode", false)]
    [InlineData("trailing\n", false)]
    [InlineData("a/b", false)]
    public void Identifiers_FollowTheContractPattern(string id, bool valid) => Assert.Equal(valid, Identifiers.IsValid(id));

    [Fact]
    public void Identifiers_AllowAtMost64Characters()
    {
        Assert.True(Identifiers.IsValid(new string('a', 64)));
        Assert.False(Identifiers.IsValid(new string('a', 65)));
    }

    [Fact]
    public void Secrets_NameTheirHolderAndHashDifferently()
    {
        var first = Secrets.Issue(Secrets.WorkerPrefix, "mina.kim");
        var second = Secrets.Issue(Secrets.WorkerPrefix, "mina.kim");

        Assert.True(Secrets.TryParse(first, out var prefix, out var id));
        Assert.Equal((Secrets.WorkerPrefix, "mina.kim"), (prefix, id));
        Assert.NotEqual(first, second);
        Assert.NotEqual(Secrets.Hash(first), Secrets.Hash(second));
        Assert.Equal(32, Secrets.Hash(first).Length);
        Assert.False(Secrets.TryParse("no-dots-here", out _, out _));
    }

    [Theory]
    [InlineData("""{"a":1,"b":[1,2]}""", """{ "b": [1, 2], "a": 1 }""", true)]
    [InlineData("""{"a":1}""", """{"a":2}""", false)]
    [InlineData("[1,2]", "[2,1]", false)]
    [InlineData("\"x\"", "\"x\"", true)]
    public void JsonValues_CompareAsJson(string left, string right, bool equal) => Assert.Equal(equal, JsonValues.Equivalent(left, right));

    [Fact]
    public void QueueSharding_IsStableAndSpreads()
    {
        var shards = Enumerable.Range(0, 1000).Select(i => QueueSharding.ShardOf($"task-{i}", 4)).ToList();

        Assert.Equal(QueueSharding.ShardOf("task-1", 4), QueueSharding.ShardOf("task-1", 4));
        Assert.All(Enumerable.Range(0, 4), s => Assert.InRange(shards.Count(x => x == s), 150, 350));
    }

    [Fact]
    public void ProjectRoute_TierIsTheHighestRequiredLevel()
    {
        Assert.Equal(0, new ProjectRoute("p", [], 0, 0, ProjectStatus.Open, 4).Tier);
        Assert.Equal(3, new ProjectRoute("p", [new("a", 1), new("b", 3)], 0, 0, ProjectStatus.Open, 4).Tier);
    }
}
