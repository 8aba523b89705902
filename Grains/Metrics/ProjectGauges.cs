using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.Metrics;

/// <summary>
/// The counts behind the per-project gauges, read from the counts each queue shard already keeps. Counting runs only
/// when something reads the gauges, at most once per <see cref="MetricsOptions.ProjectCountsMaxAge"/> and never
/// during a read: a scrape answers with the last reading at once and the next one is taken in the background.
/// Only open projects are counted, so that a paused or closed project's shards may stay asleep.
/// </summary>
public sealed partial class ProjectGauges(IGrainFactory grains, IOptions<MetricsOptions> options, TimeProvider time, ILogger<ProjectGauges> logger)
{
    private readonly TimeSpan _maxAge = options.Value.ProjectCountsMaxAge;
    private readonly int _maxProjects = options.Value.MaxProjects;
    private ProjectGaugeReading _last = ProjectGaugeReading.None;
    private int _counting;

    /// <summary>The last reading; starts a new one in the background when it is older than allowed.</summary>
    public ProjectGaugeReading Current()
    {
        var last = Volatile.Read(ref _last);
        if (time.GetUtcNow() - last.TakenAt >= _maxAge && Interlocked.CompareExchange(ref _counting, 1, 0) == 0)
        {
            _ = CountInBackgroundAsync();
        }

        return last;
    }

    /// <summary>Counts every open project now, for callers that need a reading before the first scrape.</summary>
    public async Task<ProjectGaugeReading> CountAsync()
    {
        var takenAt = time.GetUtcNow();
        var routes = await grains.GetGrain<IProjectCatalogGrain>(0).GetOpenRoutesAsync();
        var counts = await Task.WhenAll(routes.Select(async route => KeyValuePair.Create(route.ProjectId, await CountAsync(route))));
        var reading = ProjectGaugeReading.Of(counts, _maxProjects, takenAt);
        Volatile.Write(ref _last, reading);
        return reading;
    }

    private async Task<ProjectCounts> CountAsync(ProjectRoute route)
    {
        var shards = await Task.WhenAll(Enumerable.Range(0, route.QueueShards)
            .Select(shard => grains.GetGrain<ITaskQueueGrain>(Keys.QueueShard(route.ProjectId, shard)).GetCountsAsync()));
        return shards.Aggregate(ProjectCounts.Zero, (sum, shard) => sum.Add(shard));
    }

    private async Task CountInBackgroundAsync()
    {
        try
        {
            // Off the reader's thread: a scrape must not wait for grain calls.
            await Task.Yield();
            await CountAsync();
        }
        catch (Exception e)
        {
            LogCountFailed(logger, e);
        }
        finally
        {
            Volatile.Write(ref _counting, 0);
        }
    }
}
