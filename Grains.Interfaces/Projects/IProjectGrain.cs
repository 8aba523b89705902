using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Tasks;

namespace Dispatch.Projects;

/// <summary>A project: its settings and status. Its tasks live in their own grains and queue shards.</summary>
[Alias("Dispatch.IProjectGrain")]
public interface IProjectGrain : IGrainWithStringKey
{
    /// <summary>Creates the project; <see cref="ErrorKind.Conflict"/> when it exists.</summary>
    [Alias("Create")]
    Task<Result<ProjectView>> CreateAsync(string? ownerRequesterId, ProjectSettings settings);

    [Alias("Get")]
    Task<ProjectView?> GetAsync();

    /// <summary>The owner, or null when the project does not exist. Cheap: no counts are gathered.</summary>
    [Alias("GetOwner")]
    Task<ProjectOwner?> GetOwnerAsync();

    [Alias("Update")]
    Task<Result<ProjectView>> UpdateAsync(ProjectPatch patch);

    /// <summary>
    /// Stores a batch of tasks all or nothing: a task id already stored with another payload refuses the
    /// whole call with <see cref="ErrorKind.Conflict"/>.
    /// </summary>
    [Alias("Import")]
    Task<Result<ImportSummary>> ImportAsync(ImmutableArray<NewTask> tasks);
}
