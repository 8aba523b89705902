using Dispatch.Grains.SiloViews;
using Microsoft.Extensions.Configuration;

namespace Dispatch.Tests.Rules;

public sealed class SiloViewOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedLimits_AndHaveNoProblems()
    {
        var options = new SiloViewOptions();

        Assert.Equal(TimeSpan.FromSeconds(1), options.ProjectDirectoryMaxAge);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RoutingTableMaxAge);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ShardHeadsMaxAge);
        Assert.Equal(TimeSpan.FromSeconds(5), options.WorkAvailabilityMaxAge);
        Assert.Equal(8, options.WorkAvailabilityRechecksPerClaim);
        Assert.Equal(TimeSpan.FromSeconds(5), options.WorkSignalFallback);
        Assert.Equal(TimeSpan.FromSeconds(1), options.EventInterestMaxAge);
        Assert.Equal(TimeSpan.FromSeconds(60), options.EventInterestLease);
        Assert.Empty(options.Problems());
    }

    [Fact]
    public void Configuration_BindsFromTheSiloViewsSection()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dispatch:SiloViews:RoutingTableMaxAge"] = "00:00:02.500",
            ["Dispatch:SiloViews:WorkAvailabilityRechecksPerClaim"] = "3",
        }).Build();
        var options = new SiloViewOptions();

        config.GetSection(SiloViewOptions.Section).Bind(options);

        Assert.Equal(TimeSpan.FromMilliseconds(2500), options.RoutingTableMaxAge);
        Assert.Equal(3, options.WorkAvailabilityRechecksPerClaim);
        Assert.Empty(options.Problems());
    }

    [Fact]
    public void Problems_NameEachKeyThatCannotWork()
    {
        var options = new SiloViewOptions
        {
            ShardHeadsMaxAge = TimeSpan.Zero,
            RoutingTableMaxAge = TimeSpan.FromDays(5),
            WorkAvailabilityRechecksPerClaim = 0,
            EventInterestLease = TimeSpan.FromSeconds(30),
            WorkSignalFallback = TimeSpan.FromSeconds(-1),
        };

        var problems = options.Problems();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Dispatch:SiloViews:WorkSignalFallback must be more than zero", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Dispatch:SiloViews:ShardHeadsMaxAge must be more than zero", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Dispatch:SiloViews:RoutingTableMaxAge must be more than zero", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Dispatch:SiloViews:WorkAvailabilityRechecksPerClaim must be at least 1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Dispatch:SiloViews:EventInterestLease must be longer than the 30 seconds", StringComparison.Ordinal));
    }
}
