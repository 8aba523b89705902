using System.Collections.Immutable;

namespace Dispatch.Projects;

/// <summary>
/// Every project id of the service, for the admin's listing. Written once per project creation and never
/// touched by claims, so a single activation is no hot spot.
/// </summary>
[Alias("Dispatch.IProjectCatalogGrain")]
public interface IProjectCatalogGrain : IGrainWithIntegerKey
{
    [Alias("Add")]
    Task AddAsync(string projectId);

    [Alias("List")]
    Task<ImmutableArray<string>> ListAsync();
}
