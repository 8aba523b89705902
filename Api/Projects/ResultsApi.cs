using System.Globalization;
using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
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

/// <summary>Completed tasks in completion order; the cursor names the last task read, so each page costs O(limit).</summary>
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

        var project = grains.GetReference<IProjectGrain>(projectId);
        var validator = new Validator();
        CompletionCursor? cursor = null;
        if (!string.IsNullOrEmpty(after))
        {
            cursor = ResultCursors.TryParseOld(after, out var completionNumber)
                ? await project.FindOldResultsCursorAsync(completionNumber)
                : ResultCursors.Parse(after);
            if (cursor is null)
            {
                validator.Add("after", "Must be a cursor returned as 'next'.");
            }
        }

        validator.Range("limit", limit, 1, Paging.MaxLimit);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var page = await project.ListResultsAsync(cursor, limit ?? Paging.DefaultLimit);
        var next = page.More ? ResultCursors.Format(page.Items[^1].Cursor) : null;
        return TypedResults.Ok(new ResultListResponse(
            [.. page.Items.Select(t => new ResultResponse(t.TaskId, Json.Parse(t.PayloadJson), [.. t.Submissions.Select(SubmissionResponse.From)], t.CompletedAt.UtcDateTime, AggregateResponse.From(t.Aggregate)))],
            next));
    }
}

/// <summary>
/// A results cursor is the last task read: its completion time in ticks and its id (ids hold no ':'), nothing that
/// another project's work could change. Cursors of the old form, a bare completion number, are still read.
/// </summary>
public static class ResultCursors
{
    public static string Format(CompletionCursor cursor) =>
        $"{cursor.CompletedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{cursor.TaskId}";

    public static CompletionCursor? Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0
            || !long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !Identifiers.IsValid(text[(colon + 1)..]))
        {
            return null;
        }

        return new CompletionCursor(new DateTimeOffset(ticks, TimeSpan.Zero), text[(colon + 1)..]);
    }

    public static bool TryParseOld(string text, out long completionNumber) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out completionNumber);
}
