using System.Collections.Immutable;
using Dispatch.Common;

namespace Dispatch.Requesters;

/// <summary>A requester: owns projects and authenticates with an API key kept only as a hash.</summary>
[Alias("Dispatch.IRequesterGrain")]
public interface IRequesterGrain : IGrainWithStringKey
{
    /// <summary>Creates the requester; <see cref="ErrorKind.Conflict"/> when it exists.</summary>
    [Alias("Create")]
    Task<Result<RequesterView>> CreateAsync(string name, byte[] keyHash);

    [Alias("Get")]
    Task<RequesterView?> GetAsync();

    /// <summary>True when <paramref name="keyHash"/> is this requester's key hash (constant-time comparison).</summary>
    [Alias("HasKey")]
    Task<bool> HasKeyAsync(byte[] keyHash);

    [Alias("AddProject")]
    Task AddProjectAsync(string projectId);

    [Alias("GetProjectIds")]
    Task<ImmutableArray<string>> GetProjectIdsAsync();
}
