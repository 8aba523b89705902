using System.Collections.Immutable;
using Dispatch.Projects;
using Dispatch.Grains.Workers;
using Dispatch.Workers;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's copy of the open projects in routing order, refreshed from the catalogue at most once per
/// <see cref="SiloViewOptions.RoutingTableMaxAge"/>: a claim without a project reads it from memory and never calls
/// the catalogue grain.
/// </summary>
public sealed class RoutingTable(IGrainFactory grains, IOptions<SiloViewOptions> options, TimeProvider time)
{
    private readonly TimeSpan _maxAge = options.Value.RoutingTableMaxAge;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private ImmutableArray<ClaimRoute> _routes = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    /// <summary>The work of open projects whose requirements the worker meets, in the order routing serves it.</summary>
    public async ValueTask<IEnumerable<ClaimRoute>> RoutesForAsync(IReadOnlyDictionary<string, Certification> certifications)
    {
        var routes = await CurrentAsync();
        return routes.Where(route => Requirements.AreMet(route.Requirements, certifications));
    }

    /// <summary>
    /// Tier first, then priority and reward. A crowd-review project's review items rank as a project of their own at
    /// the tier of the review requirements, and before the project's own tasks when they tie.
    /// </summary>
    public static IEnumerable<ClaimRoute> Order(IEnumerable<ProjectRoute> open) =>
        open.SelectMany(p => p.CrowdReview ? new[] { new ClaimRoute(p, Review: true), new ClaimRoute(p, Review: false) } : [new ClaimRoute(p, Review: false)])
            .OrderByDescending(r => r.Tier)
            .ThenByDescending(r => r.Project.Priority)
            .ThenByDescending(r => r.Project.Reward)
            .ThenBy(r => r.Project.ProjectId, StringComparer.Ordinal)
            .ThenByDescending(r => r.Review);

    /// <summary>Drops the copy, so that the next claim reads the catalogue again.</summary>
    public void Forget() => _fetchedAt = DateTimeOffset.MinValue;

    private async ValueTask<ImmutableArray<ClaimRoute>> CurrentAsync()
    {
        if (time.GetUtcNow() - _fetchedAt < _maxAge)
        {
            return _routes;
        }

        await _refresh.WaitAsync();
        try
        {
            if (time.GetUtcNow() - _fetchedAt >= _maxAge)
            {
                var fetchedAt = time.GetUtcNow();
                var open = await grains.GetGrain<IProjectCatalogGrain>(0).GetOpenRoutesAsync();
                _routes = [.. Order(open)];
                _fetchedAt = fetchedAt;
            }

            return _routes;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
