using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Requesters;
using Microsoft.AspNetCore.Builder;
using Dispatch.Api.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Projects;

public static class ProjectsApi
{
    public static RouteGroupBuilder MapProjectsApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/projects").WithTags("Projects").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapPost("", CreateAsync)
            .WithName("CreateProject").WithSummary("Create a project owned by the caller")
            .WithDescription("A project created by the admin belongs to the admin alone.")
            .Reads<CreateProjectRequest>()
            .Refuses(ProblemType.Validation, ProblemType.Conflict, ProblemType.TooLarge);
        group.MapGet("", ListAsync)
            .WithName("ListProjects").WithSummary("List the caller's projects (the admin: all of them)");
        group.MapGet("/{projectId}", GetAsync)
            .WithName("GetProject").WithSummary("Read a project's settings, status and counts")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapPatch("/{projectId}", UpdateAsync)
            .WithName("UpdateProject").WithSummary("Change a project's status, priority, reward, lease time or attempts")
            .WithDescription("Paused or closed projects hand out no new leases; closed is final.")
            .Reads<PatchProjectRequest>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.Conflict, ProblemType.TooLarge);
        return group;
    }

    public static async Task<Results<Created<ProjectResponse>, ProblemHttpResult>> CreateAsync(HttpContext http, [FromServices] IGrainFactory grains)
    {
        var context = http.Dispatch();
        var body = await JsonBody.ReadAsync<CreateProjectRequest>(http, context.Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var validator = new Validator();
        var settings = ProjectRequestMapping.ToSettings(body.Value!, context.Options, validator);
        if (settings is null)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IProjectGrain>(body.Value!.Id!).CreateAsync(context.Caller.OwnerId, settings);
        return Answers.From(result, view => TypedResults.Created($"/v1/projects/{view.Id}", ProjectResponse.From(view)));
    }

    public static async Task<Ok<ProjectListResponse>> ListAsync(HttpContext http, [FromServices] IGrainFactory grains)
    {
        var caller = http.Dispatch().Caller;
        var ids = caller.IsAdmin
            ? await grains.GetGrain<IProjectCatalogGrain>(0).ListAsync()
            : await grains.GetReference<IRequesterGrain>(caller.Id!).GetProjectIdsAsync();
        var views = await Task.WhenAll(ids.Select(id => grains.GetReference<IProjectGrain>(id).GetAsync()));
        var visible = views.Where(v => v is not null && ProjectAccess.CanSee(caller, v.OwnerRequesterId));
        return TypedResults.Ok(new ProjectListResponse([.. visible.Select(v => ProjectResponse.From(v!))]));
    }

    public static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> GetAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var view = await grains.GetReference<IProjectGrain>(projectId).GetAsync();
        if (view is null)
        {
            return Problems.NotFound($"Project '{projectId}' does not exist.");
        }

        return TypedResults.Ok(ProjectResponse.From(view));
    }

    public static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> UpdateAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var context = http.Dispatch();
        if (await ProjectAccess.CheckAsync(grains, context.Caller, projectId) is { } problem)
        {
            return problem;
        }

        var body = await JsonBody.ReadAsync<PatchProjectRequest>(http, context.Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var validator = new Validator();
        var patch = ProjectRequestMapping.ToPatch(body.Value!, validator);
        if (patch is null)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IProjectGrain>(projectId).UpdateAsync(patch);
        return Answers.From(result, view => TypedResults.Ok(ProjectResponse.From(view)));
    }
}
