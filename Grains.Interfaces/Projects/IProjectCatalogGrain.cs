using System.Collections.Immutable;

namespace Dispatch.Projects;

/// <summary>What routing needs to know of a project to order it for a worker.</summary>
/// <param name="CrowdReview">Whether the project's review items are served to workers (crowd review).</param>
/// <param name="ReviewRequirements">Crowd review: who may review (the project's own requirements when none are set).</param>
[GenerateSerializer, Immutable, Alias("Dispatch.ProjectRoute")]
public sealed record ProjectRoute(
    [property: Id(0)] string ProjectId,
    [property: Id(1)] ImmutableArray<SkillRequirement> Requirements,
    [property: Id(2)] int Priority,
    [property: Id(3)] decimal Reward,
    [property: Id(4)] ProjectStatus Status,
    [property: Id(5)] int QueueShards,
    [property: Id(6)] bool CrowdReview = false,
    [property: Id(7)] ImmutableArray<SkillRequirement> ReviewRequirements = default)
{
    /// <summary>The tier of the project: the highest level it requires, 0 when anyone may work on it.</summary>
    public int Tier => TierOf(Requirements);

    /// <summary>The tier of the project's review items, ranked as if they were a project of their own.</summary>
    public int ReviewTier => TierOf(ReviewRequirements);

    private static int TierOf(ImmutableArray<SkillRequirement> requirements) => requirements.IsDefaultOrEmpty ? 0 : requirements.Max(r => r.MinLevel);
}

/// <summary>
/// Every project of the service with its route, for the admin's listing and for routing. Written only when a
/// project is created or changes settings; silos read it at most once a second into a local copy, so claims
/// never call it.
/// </summary>
[Alias("Dispatch.IProjectCatalogGrain")]
public interface IProjectCatalogGrain : IGrainWithIntegerKey
{
    [Alias("Upsert")]
    Task UpsertAsync(ProjectRoute route);

    [Alias("List")]
    Task<ImmutableArray<string>> ListAsync();

    [Alias("GetOpenRoutes")]
    Task<ImmutableArray<ProjectRoute>> GetOpenRoutesAsync();
}
