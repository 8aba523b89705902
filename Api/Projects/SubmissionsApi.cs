using System.Globalization;
using System.Text.Json;
using Dispatch.Api.Auth;
using Dispatch.Api.OpenApi;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Projects;

/// <param name="Verdict">accept or reject.</param>
public sealed record ReviewRequest(string? Verdict, string? Comment = null);

/// <summary>A submission as the review calls answer it.</summary>
public sealed record SubmissionViewResponse(
    string ProjectId,
    string TaskId,
    string WorkerId,
    JsonElement Result,
    DateTime SubmittedAt,
    string State,
    ReviewResponse? Review)
{
    public static SubmissionViewResponse From(string projectId, string taskId, SubmissionView s) =>
        new(projectId, taskId, s.WorkerId, Json.Parse(s.ResultJson), s.SubmittedAt.UtcDateTime, ApiNames.Of(s.State), ReviewResponse.From(s.Review));
}

public sealed record SubmissionListResponse(IReadOnlyList<SubmissionViewResponse> Items, string? Next);

/// <summary>Requester-mode review: the owner (or admin) lists submissions by state and gives each its verdict.</summary>
public static class SubmissionsApi
{
    /// <summary>Longest review comment, in UTF-8 bytes.</summary>
    public const int MaxCommentBytes = ReviewVerdictJson.MaxCommentBytes;

    public static RouteGroupBuilder MapSubmissionsApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/projects/{projectId}").WithTags("Review").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapGet("/submissions", ListAsync)
            .WithName("ListSubmissions").WithSummary("Page through a project's submissions of one state, oldest first")
            .WithDescription("state is pending (the default), accepted or rejected; each page costs O(limit).")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapPost("/tasks/{taskId}/submissions/{workerId}/review", ReviewAsync)
            .WithName("ReviewSubmission").WithSummary("Accept or reject a worker's submission on a task")
            .WithDescription("The same verdict again answers the submission unchanged; the other verdict on a decided submission is not-reviewable.")
            .Reads<ReviewRequest>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.NotReviewable, ProblemType.TooLarge);
        return group;
    }

    public static async Task<Results<Ok<SubmissionListResponse>, ProblemHttpResult>> ListAsync(
        string projectId, string? state, string? after, int? limit, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var validator = new Validator();
        var filter = state is null ? SubmissionState.Pending : ApiNames.ParseSubmissionState(state);
        if (filter is null)
        {
            validator.Add("state", "Must be one of pending, accepted, rejected.");
        }

        var cursor = ParseCursor(after);
        if (!string.IsNullOrEmpty(after) && cursor is null)
        {
            validator.Add("after", "Must be a cursor returned as 'next'.");
        }

        validator.Range("limit", limit, 1, Paging.MaxLimit);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var pageSize = limit ?? Paging.DefaultLimit;
        var page = await grains.GetReference<IProjectGrain>(projectId).ListSubmissionsAsync(filter!.Value, cursor, pageSize);
        var next = page.Length == pageSize ? FormatCursor(page[^1].Cursor) : null;
        return TypedResults.Ok(new SubmissionListResponse([.. page.Select(s => SubmissionViewResponse.From(projectId, s.TaskId, s.Submission))], next));
    }

    public static async Task<Results<Ok<SubmissionViewResponse>, ProblemHttpResult>> ReviewAsync(
        string projectId, string taskId, string workerId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var context = http.Dispatch();
        if (await ProjectAccess.CheckAsync(grains, context.Caller, projectId) is { } problem)
        {
            return problem;
        }

        if (!Identifiers.IsValid(taskId) || !Identifiers.IsValid(workerId))
        {
            return Problems.NotFound($"Worker '{workerId}' has no submission on task '{taskId}' of project '{projectId}'.");
        }

        var body = await JsonBody.ReadAsync<ReviewRequest>(http, context.Options.MaxPayloadBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var validator = new Validator();
        var verdict = ApiNames.ParseVerdict(body.Value!.Verdict);
        if (verdict is null)
        {
            validator.Add("verdict", "Must be accept or reject.");
        }

        validator.MaxLength("comment", body.Value.Comment, MaxCommentBytes);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        // Crowd review belongs to the crowd: only the admin may overrule it.
        var by = context.Caller.IsAdmin ? ReviewerKind.Admin : ReviewerKind.Requester;
        var project = await grains.GetReference<IProjectGrain>(projectId).GetInfoAsync();
        if (by == ReviewerKind.Requester && project?.Settings.Review?.Mode == ReviewMode.Crowd)
        {
            return Problems.Of(ErrorKind.NotReviewable, $"Project '{projectId}' is reviewed by the crowd; only the admin may give a verdict.");
        }

        var result = await grains.GetReference<ITaskGrain>(Keys.Task(projectId, taskId)).ReviewAsync(workerId, verdict!.Value, by, body.Value.Comment);
        return Answers.From(result, view => TypedResults.Ok(SubmissionViewResponse.From(projectId, taskId, view)));
    }

    /// <summary>A cursor names the last submission of a page: its time in ticks, its task and its worker (ids hold no ':').</summary>
    private static string FormatCursor(SubmissionCursor cursor) =>
        $"{cursor.SubmittedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{cursor.TaskId}:{cursor.WorkerId}";

    private static SubmissionCursor? ParseCursor(string? text)
    {
        var parts = text?.Split(':');
        if (parts is not { Length: 3 }
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !Identifiers.IsValid(parts[1])
            || !Identifiers.IsValid(parts[2]))
        {
            return null;
        }

        return new SubmissionCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[1], parts[2]);
    }
}
