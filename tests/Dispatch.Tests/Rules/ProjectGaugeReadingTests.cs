using Dispatch.Grains.Metrics;
using Dispatch.Projects;

namespace Dispatch.Tests.Rules;

/// <summary>The per-project gauges keep a bounded number of series and never lose a task from the totals.</summary>
public sealed class ProjectGaugeReadingTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 18, 0, 0, TimeSpan.Zero);

    [Fact]
    public void MoreProjectsThanTheCap_KeepTheLargestByOpenTasks_AndSumTheRestAsOther()
    {
        var reading = ProjectGaugeReading.Of(
        [
            Project("small", open: 1, leases: 0, deadLettered: 4),
            Project("big", open: 50, leases: 3, deadLettered: 0),
            Project("middle", open: 10, leases: 1, deadLettered: 1),
            Project("tiny", open: 0, leases: 0, deadLettered: 2),
        ], maxProjects: 2, Now);

        Assert.Equal(["big", "middle", ProjectGaugeReading.Other], reading.Series.Select(s => s.Key));
        var other = reading.Series[^1].Value;
        Assert.Equal((1, 0, 6), (other.Open, other.ActiveLeases, other.DeadLettered));
        Assert.Equal(61, reading.Measure(c => c.Open).Sum(m => m.Value));
        Assert.Equal(7, reading.Measure(c => c.DeadLettered).Sum(m => m.Value));
        Assert.All(reading.Measure(c => c.Open), m => Assert.Equal(ProjectGaugeReading.ProjectTag, Assert.Single(m.Tags.ToArray()).Key));
    }

    [Fact]
    public void ProjectsWithinTheCap_EachKeepTheirOwnSeries_WithoutOther()
    {
        var reading = ProjectGaugeReading.Of([Project("a", 2, 0, 0), Project("b", 2, 0, 0)], maxProjects: 2, Now);

        Assert.Equal(["a", "b"], reading.Series.Select(s => s.Key));
        Assert.Equal(Now, reading.TakenAt);
    }

    [Fact]
    public void MetricsOptions_Defaults_HaveNoProblems_AndNonsenseIsRefusedWithASentence()
    {
        Assert.Empty(new MetricsOptions().Problems());
        var problems = new MetricsOptions { Path = "metrics", MaxProjects = 0, ProjectCountsMaxAge = TimeSpan.Zero }.Problems();
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.StartsWith("Dispatch:Metrics:", p));
    }

    private static KeyValuePair<string, ProjectCounts> Project(string id, long open, long leases, long deadLettered) =>
        KeyValuePair.Create(id, new ProjectCounts(open, 0, deadLettered, leases, 0));
}
