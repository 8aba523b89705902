using System.Collections.Immutable;
using Dispatch.Projects;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Projects;

[GenerateSerializer, Alias("Dispatch.ProjectCatalogState")]
public sealed class ProjectCatalogState
{
    [Id(0)] public Dictionary<string, ProjectRoute> Routes { get; set; } = new(StringComparer.Ordinal);
}

public sealed partial class ProjectCatalogGrain(
    [PersistentState("projectCatalog", StorageNames.Grains)] IPersistentState<ProjectCatalogState> state,
    ILogger<ProjectCatalogGrain> logger) : Grain, IProjectCatalogGrain
{
    public async Task UpsertAsync(ProjectRoute route)
    {
        if (!state.State.Routes.TryGetValue(route.ProjectId, out var known) || !SameRoute(known, route))
        {
            state.State.Routes[route.ProjectId] = route;
            await state.WriteOrDeactivateAsync(this, logger);
            LogRouteStored(logger, route.ProjectId, route.Status, route.Tier, route.Priority);
        }
    }

    public Task<ImmutableArray<string>> ListAsync() => Task.FromResult(state.State.Routes.Keys.Order(StringComparer.Ordinal).ToImmutableArray());

    public Task<ImmutableArray<ProjectRoute>> GetOpenRoutesAsync() =>
        Task.FromResult(state.State.Routes.Values.Where(r => r.Status == ProjectStatus.Open).ToImmutableArray());

    private static bool SameRoute(ProjectRoute a, ProjectRoute b) =>
        a.Priority == b.Priority && a.Reward == b.Reward && a.Status == b.Status && a.Requirements.SequenceEqual(b.Requirements)
        && a.CrowdReview == b.CrowdReview && Same(a.ReviewRequirements, b.ReviewRequirements);

    private static bool Same(ImmutableArray<SkillRequirement> a, ImmutableArray<SkillRequirement> b) =>
        a.IsDefaultOrEmpty ? b.IsDefaultOrEmpty : !b.IsDefault && a.SequenceEqual(b);
}
