using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Requesters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Projects;

public static class ProjectsApi
{
    public static RouteGroupBuilder MapProjectsApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/projects").WithTags("Projects").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapPost("/", CreateAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{projectId}", GetAsync);
        group.MapPatch("/{projectId}", UpdateAsync);
        return group;
    }

    public static async Task<IResult> CreateAsync(HttpContext http, [FromServices] IGrainFactory grains)
    {
        var context = http.Dispatch();
        var body = await JsonBody.ReadAsync<CreateProjectRequest>(http, context.Options.MaxBodyBytes);
        if (body.Problem is not null)
        {
            return body.Problem;
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

    public static async Task<IResult> ListAsync(HttpContext http, [FromServices] IGrainFactory grains)
    {
        var caller = http.Dispatch().Caller;
        var ids = caller.IsAdmin
            ? await grains.GetGrain<IProjectCatalogGrain>(0).ListAsync()
            : await grains.GetReference<IRequesterGrain>(caller.Id!).GetProjectIdsAsync();
        var views = await Task.WhenAll(ids.Select(id => grains.GetReference<IProjectGrain>(id).GetAsync()));
        var visible = views.Where(v => v is not null && ProjectAccess.CanSee(caller, v.OwnerRequesterId));
        return TypedResults.Ok(new ProjectListResponse([.. visible.Select(v => ProjectResponse.From(v!))]));
    }

    public static async Task<IResult> GetAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var view = await grains.GetReference<IProjectGrain>(projectId).GetAsync();
        return view is null ? Problems.NotFound($"Project '{projectId}' does not exist.") : TypedResults.Ok(ProjectResponse.From(view));
    }

    public static async Task<IResult> UpdateAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var context = http.Dispatch();
        if (await ProjectAccess.CheckAsync(grains, context.Caller, projectId) is { } problem)
        {
            return problem;
        }

        var body = await JsonBody.ReadAsync<PatchProjectRequest>(http, context.Options.MaxBodyBytes);
        if (body.Problem is not null)
        {
            return body.Problem;
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
