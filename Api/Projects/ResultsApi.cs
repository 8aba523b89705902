using System.Globalization;
using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Projects;
using Microsoft.AspNetCore.Builder;
using Dispatch.Api.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Projects;

public sealed record ResultResponse(
    string TaskId,
    System.Text.Json.JsonElement Payload,
    IReadOnlyList<SubmissionResponse> Submissions,
    DateTime CompletedAt,
    [property: System.ComponentModel.Description("The task's one answer; null in a project without aggregation.")] AggregateResponse? Aggregate);

public sealed record ResultListResponse(IReadOnlyList<ResultResponse> Items, string? Next);

public sealed record TaskListResponse(IReadOnlyList<TaskResponse> Items, string? Next);

public static class Paging
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
}

/// <summary>Completed tasks in completion order; the cursor is the completion sequence, so each page costs O(limit).</summary>
public static class ResultsApi
{
    public static RouteGroupBuilder MapResultsApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/projects/{projectId}/results").WithTags("Results").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapGet("", ListAsync)
            .WithName("ListResults").WithSummary("Page through completed tasks with their submissions, in completion order")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        return group;
    }

    public static async Task<Results<Ok<ResultListResponse>, ProblemHttpResult>> ListAsync(string projectId, string? after, int? limit, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var validator = new Validator();
        long cursor = 0;
        if (!string.IsNullOrEmpty(after) && (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out cursor) || cursor < 0))
        {
            validator.Add("after", "Must be a cursor returned as 'next'.");
        }

        validator.Range("limit", limit, 1, Paging.MaxLimit);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var pageSize = limit ?? Paging.DefaultLimit;
        var page = await grains.GetReference<IProjectGrain>(projectId).ListResultsAsync(cursor, pageSize);
        var next = page.Length == pageSize ? page[^1].Cursor.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new ResultListResponse(
            [.. page.Select(t => new ResultResponse(t.TaskId, Json.Parse(t.PayloadJson), [.. t.Submissions.Select(SubmissionResponse.From)], t.CompletedAt.UtcDateTime, AggregateResponse.From(t.Aggregate)))],
            next));
    }
}
