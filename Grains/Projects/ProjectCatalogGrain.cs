using System.Collections.Immutable;
using Dispatch.Projects;

namespace Dispatch.Grains.Projects;

[GenerateSerializer, Alias("Dispatch.ProjectCatalogState")]
public sealed class ProjectCatalogState
{
    [Id(0)] public List<string> ProjectIds { get; set; } = [];
}

public sealed class ProjectCatalogGrain(
    [PersistentState("projectCatalog", StorageNames.Grains)] IPersistentState<ProjectCatalogState> state) : Grain, IProjectCatalogGrain
{
    public async Task AddAsync(string projectId)
    {
        if (!state.State.ProjectIds.Contains(projectId))
        {
            state.State.ProjectIds.Add(projectId);
            await state.WriteOrDeactivateAsync(this);
        }
    }

    public Task<ImmutableArray<string>> ListAsync() => Task.FromResult(state.State.ProjectIds.ToImmutableArray());
}
