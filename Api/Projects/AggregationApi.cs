using System.ComponentModel;
using Dispatch.Api.Auth;
using Dispatch.Api.OpenApi;
using Dispatch.Common;
using Dispatch.Projects;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Projects;

/// <param name="Method">The project's aggregation: majority, dawidSkene, or null without one.</param>
/// <param name="State">idle (no run yet), running, or done.</param>
/// <param name="Tasks">How many tasks the last finished run covered.</param>
/// <param name="FinishedAt">When the last run finished; null before the first.</param>
public sealed record AggregationResponse(
    string? Method,
    [property: Description("idle, running or done.")] string State,
    int Tasks,
    DateTime? FinishedAt)
{
    public static AggregationResponse From(AggregationStatus status) => new(
        status.Method is { } method ? ApiNames.Of(method) : null,
        status.State switch
        {
            AggregationRunState.Running => "running",
            AggregationRunState.Done => "done",
            _ => "idle",
        },
        status.Tasks,
        status.FinishedAt?.UtcDateTime);
}

/// <summary>Dawid-Skene runs of a project: started on request, run in the background by the project's aggregation grain.</summary>
public static class AggregationApi
{
    public static RouteGroupBuilder MapAggregationApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/projects/{projectId}/aggregation").WithTags("Aggregation").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapPost("/run", RunAsync)
            .WithName("RunAggregation").WithSummary("Start a Dawid-Skene run over the project's completed tasks, or answer the one under way")
            .WithDescription("Only for a project whose aggregation method is dawidSkene; others answer 409 conflict.")
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.Conflict);
        group.MapGet("", GetAsync)
            .WithName("GetAggregation").WithSummary("Read the state of the project's Dawid-Skene runs")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        return group;
    }

    public static async Task<Results<Accepted<AggregationResponse>, ProblemHttpResult>> RunAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var result = await grains.GetReference<IProjectAggregationGrain>(projectId).RunAsync();
        return Answers.From(result, status => TypedResults.Accepted($"/v1/projects/{Uri.EscapeDataString(projectId)}/aggregation", AggregationResponse.From(status)));
    }

    public static async Task<Results<Ok<AggregationResponse>, ProblemHttpResult>> GetAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var status = await grains.GetReference<IProjectAggregationGrain>(projectId).GetStatusAsync();
        return status is null ? Problems.NotFound($"Project '{projectId}' does not exist.") : TypedResults.Ok(AggregationResponse.From(status));
    }
}
