using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dispatch.Api.Projects;

/// <summary>
/// A requester sees only its own projects. Someone else's project answers 404, exactly like a missing one,
/// so that ids of other requesters' projects do not leak.
/// </summary>
public static class ProjectAccess
{
    /// <summary>Null when the caller may act on the project; otherwise the problem to answer.</summary>
    public static async Task<ProblemHttpResult?> CheckAsync(IGrainFactory grains, Caller caller, string projectId)
    {
        if (!Identifiers.IsValid(projectId))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["projectId"] = [$"Must match {Identifiers.Pattern}."] });
        }

        var info = await grains.GetReference<IProjectGrain>(projectId).GetInfoAsync();
        return info is not null && CanSee(caller, info.OwnerRequesterId) ? null : Problems.NotFound($"Project '{projectId}' does not exist.");
    }

    public static bool CanSee(Caller caller, string? ownerRequesterId) =>
        caller.IsAdmin || (caller.Role == Roles.Requester && ownerRequesterId == caller.Id);
}
