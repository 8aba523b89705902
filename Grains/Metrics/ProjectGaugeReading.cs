using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Dispatch.Projects;

namespace Dispatch.Grains.Metrics;

/// <summary>
/// One reading of the open projects' counts, cut to a bounded number of series: the projects with the most open
/// tasks keep their own, the rest are summed under <see cref="Other"/>.
/// </summary>
public sealed class ProjectGaugeReading
{
    /// <summary>The label of the summed rest; no project id can take it, as ids start with a letter or digit.</summary>
    public const string Other = "_other";

    public const string ProjectTag = "project";

    public static readonly ProjectGaugeReading None = new([], DateTimeOffset.MinValue);

    private ProjectGaugeReading(ImmutableArray<KeyValuePair<string, ProjectCounts>> series, DateTimeOffset takenAt)
    {
        Series = series;
        TakenAt = takenAt;
    }

    /// <summary>Label value and counts of each series, largest first, <see cref="Other"/> last when present.</summary>
    public ImmutableArray<KeyValuePair<string, ProjectCounts>> Series { get; }

    public DateTimeOffset TakenAt { get; }

    public static ProjectGaugeReading Of(IEnumerable<KeyValuePair<string, ProjectCounts>> projects, int maxProjects, DateTimeOffset takenAt)
    {
        var ranked = projects
            .OrderByDescending(p => p.Value.Open)
            .ThenByDescending(p => p.Value.ActiveLeases)
            .ThenByDescending(p => p.Value.DeadLettered)
            .ThenBy(p => p.Key, StringComparer.Ordinal)
            .ToList();
        var series = ranked.Take(maxProjects).ToImmutableArray().ToBuilder();
        if (ranked.Count > maxProjects)
        {
            var rest = ranked.Skip(maxProjects).Aggregate(ProjectCounts.Zero, (sum, p) => sum.Add(p.Value));
            series.Add(new(Other, rest));
        }

        return new ProjectGaugeReading(series.ToImmutable(), takenAt);
    }

    public IEnumerable<Measurement<long>> Measure(Func<ProjectCounts, long> value) =>
        Series.Select(s => new Measurement<long>(value(s.Value), new KeyValuePair<string, object?>(ProjectTag, s.Key)));
}
