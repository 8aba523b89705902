using System.Collections.Immutable;
using System.Text;
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

public static class TasksApi
{
    public static RouteGroupBuilder MapTasksApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/projects/{projectId}/tasks").WithTags("Tasks").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapPost("", ImportAsync)
            .WithName("ImportTasks").WithSummary("Import tasks into a project, all or nothing")
            .WithDescription("A task id already stored with the same payload counts as existing; with another payload the whole call is refused.")
            .Reads<ImportRequest>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.Conflict, ProblemType.ProjectNotOpen, ProblemType.TooLarge);
        group.MapGet("", ListAsync)
            .WithName("ListTasks").WithSummary("Page through a project's tasks, optionally of one state")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapGet("/{taskId}", GetAsync)
            .WithName("GetTask").WithSummary("Read a task with its leases and submissions")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapPost("/{taskId}/retry", RetryAsync)
            .WithName("RetryTask").WithSummary("Open a dead-lettered task again, its failed attempts reset")
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.Conflict);
        return group;
    }

    public static async Task<Results<Ok<TaskListResponse>, ProblemHttpResult>> ListAsync(string projectId, string? state, string? after, int? limit, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var filter = ApiNames.ParseTaskState(state);
        var validator = new Validator();
        if (state is not null && filter is null)
        {
            validator.Add("state", "Must be one of open, completed, deadLettered.");
        }

        validator.Range("limit", limit, 1, Paging.MaxLimit);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var page = await grains.GetReference<IProjectGrain>(projectId).ListTasksAsync(filter, after, limit ?? Paging.DefaultLimit);
        var next = page.More ? page.Items[^1].Id : null;
        return TypedResults.Ok(new TaskListResponse([.. page.Items.Select(TaskResponse.From)], next));
    }

    public static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> RetryAsync(string projectId, string taskId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        if (!Identifiers.IsValid(taskId))
        {
            return Problems.NotFound($"Task '{taskId}' does not exist in project '{projectId}'.");
        }

        var result = await grains.GetReference<ITaskGrain>(Keys.Task(projectId, taskId)).RetryAsync();
        return Answers.From(result, view => TypedResults.Ok(TaskResponse.From(view)));
    }

    public static async Task<Results<Ok<ImportResponse>, ProblemHttpResult>> ImportAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var context = http.Dispatch();
        if (await ProjectAccess.CheckAsync(grains, context.Caller, projectId) is { } problem)
        {
            return problem;
        }

        var body = await JsonBody.ReadAsync<ImportRequest>(http, context.Options.MaxImportBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        if (body.Value!.Tasks is not { } tasks)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["tasks"] = ["Required."] });
        }

        if (tasks.Count > context.Options.MaxImportTasks)
        {
            return Problems.TooLarge($"One import call takes at most {context.Options.MaxImportTasks} tasks; this one has {tasks.Count}.");
        }

        var validator = new Validator();
        var newTasks = ToNewTasks(tasks, context.Options.MaxPayloadBytes, validator);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IProjectGrain>(projectId).ImportAsync(newTasks);
        return Answers.From(result, summary => TypedResults.Ok(new ImportResponse(summary.Created, summary.Existing, summary.Ids)));
    }

    public static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> GetAsync(string projectId, string taskId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var view = Identifiers.IsValid(taskId) ? await grains.GetReference<ITaskGrain>(Keys.Task(projectId, taskId)).GetAsync() : null;
        if (view is null)
        {
            return Problems.NotFound($"Task '{taskId}' does not exist in project '{projectId}'.");
        }

        return TypedResults.Ok(TaskResponse.From(view));
    }

    private static ImmutableArray<NewTask> ToNewTasks(List<ImportTaskDto?> tasks, int maxPayloadBytes, Validator validator)
    {
        var newTasks = ImmutableArray.CreateBuilder<NewTask>(tasks.Count);
        for (var i = 0; i < tasks.Count; i++)
        {
            var field = $"tasks[{i}]";
            if (tasks[i] is not { } task)
            {
                validator.Add(field, "Must be an object {id?, payload, priority?, goldenAnswer?}.");
                continue;
            }

            validator.Id($"{field}.id", task.Id, required: false);
            var payload = task.Payload?.GetRawText();
            validator.Required($"{field}.payload", payload);
            CheckSize(validator, $"{field}.payload", payload, maxPayloadBytes);
            validator.StorableJson($"{field}.payload", task.Payload, payload);
            var golden = task.GoldenAnswer?.GetRawText();
            CheckSize(validator, $"{field}.goldenAnswer", golden, maxPayloadBytes);
            validator.StorableJson($"{field}.goldenAnswer", task.GoldenAnswer, golden);
            if (validator.IsValid)
            {
                newTasks.Add(new NewTask(task.Id, payload!, task.Priority ?? 0, golden));
            }
        }

        return newTasks.ToImmutable();
    }

    private static void CheckSize(Validator validator, string field, string? json, int maxBytes)
    {
        if (json is not null && Encoding.UTF8.GetByteCount(json) > maxBytes)
        {
            validator.Add(field, $"Must be at most {maxBytes} bytes of JSON.");
        }
    }
}
