using System.Text;
using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Workers;
using Microsoft.AspNetCore.Builder;
using Dispatch.Api.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Work;

/// <summary>The worker's calls: claim, list, heartbeat, submit and release leases.</summary>
public static class WorkApi
{
    public const int MaxWaitSeconds = 20;

    public static RouteGroupBuilder MapWorkApi(this RouteGroupBuilder v1, ApiAuth auth, WorkWaiters waiters)
    {
        var group = v1.MapGroup("/workers/{workerId}/leases").WithTags("Work").Allow(auth, Roles.Admin | Roles.Worker);
        group.MapPost("", (string workerId, HttpContext http, [FromServices] IGrainFactory grains) => ClaimAsync(workerId, http, grains, waiters))
            .WithName("ClaimLease").WithSummary("Claim a task: a lease until its deadline, or 204 when no task fits")
            .WithDescription("Without `projectId` the claim is routed by skill tier. With `waitSeconds` it waits for work that far and answers as soon as some appears.")
            .Reads<ClaimRequest>(optional: true)
            .Refuses(ProblemType.Validation, ProblemType.WorkerBlocked, ProblemType.NotFound, ProblemType.Conflict, ProblemType.ProjectNotOpen, ProblemType.TooLarge);
        group.MapGet("", ListAsync)
            .WithName("ListLeases").WithSummary("List the worker's active leases")
            .Refuses(ProblemType.NotFound);
        group.MapPost("/{leaseId}/heartbeat", HeartbeatAsync)
            .WithName("HeartbeatLease").WithSummary("Extend a lease's deadline")
            .Reads<HeartbeatRequest>(optional: true)
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.LeaseExpired, ProblemType.LeaseNotActive, ProblemType.TooLarge);
        group.MapPost("/{leaseId}/submit", SubmitAsync)
            .WithName("SubmitLease").WithSummary("Submit the result of a lease")
            .WithDescription("The submission is stored before the answer; a retried submit never counts twice.")
            .Reads<SubmitRequest>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.LeaseExpired, ProblemType.LeaseNotActive, ProblemType.TooLarge);
        group.MapPost("/{leaseId}/release", ReleaseAsync)
            .WithName("ReleaseLease").WithSummary("Give a lease back before its deadline")
            .WithDescription("The task is offered to other workers; the release counts as a failed attempt.")
            .Reads<ReleaseRequest>(optional: true)
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.LeaseExpired, ProblemType.LeaseNotActive, ProblemType.TooLarge);
        return group;
    }

    public static async Task<Results<Created<LeaseResponse>, NoContent, ProblemHttpResult>> ClaimAsync(string workerId, HttpContext http, IGrainFactory grains, WorkWaiters waiters)
    {
        var body = await JsonBody.ReadAsync<ClaimRequest>(http, http.Dispatch().Options.MaxBodyBytes, allowEmpty: true);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var request = body.Value ?? new ClaimRequest();
        var validator = new Validator();
        validator.Id("workerId", workerId);
        validator.Id("projectId", request.ProjectId, required: false);
        validator.Range("waitSeconds", request.WaitSeconds, 0, MaxWaitSeconds);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var worker = grains.GetReference<IWorkerGrain>(workerId);
        var wait = TimeSpan.FromSeconds(request.WaitSeconds ?? 0);
        var result = await waiters.ClaimAsync(() => worker.ClaimAsync(request.ProjectId), request.ProjectId, wait, http.RequestAborted);
        if (!result.IsSuccess)
        {
            return Problems.Of(result.Error, result.Detail ?? "");
        }

        if (result.Value is not { } grant)
        {
            return TypedResults.NoContent();
        }

        return TypedResults.Created($"/v1/workers/{workerId}/leases/{grant.LeaseId}", LeaseResponse.From(grant));
    }

    public static async Task<Results<Ok<LeaseListResponse>, ProblemHttpResult>> ListAsync(string workerId, [FromServices] IGrainFactory grains)
    {
        if (!Identifiers.IsValid(workerId))
        {
            return Problems.NotFound($"Worker '{workerId}' does not exist.");
        }

        var leases = await grains.GetReference<IWorkerGrain>(workerId).GetActiveLeasesAsync();
        return TypedResults.Ok(new LeaseListResponse([.. leases.Select(LeaseResponse.From)]));
    }

    public static async Task<Results<Ok<HeartbeatResponse>, ProblemHttpResult>> HeartbeatAsync(string workerId, string leaseId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<HeartbeatRequest>(http, http.Dispatch().Options.MaxBodyBytes, allowEmpty: true);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var validator = new Validator();
        validator.Range("extendSeconds", body.Value?.ExtendSeconds, 1, 86_400);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        if (LeaseProblem(workerId, leaseId) is { } problem)
        {
            return problem;
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).HeartbeatAsync(leaseId, body.Value?.ExtendSeconds);
        return Answers.From(result, receipt => TypedResults.Ok(new HeartbeatResponse(receipt.LeaseId, receipt.ExpiresAt.UtcDateTime)));
    }

    public static async Task<Results<Ok<SubmitResponse>, ProblemHttpResult>> SubmitAsync(string workerId, string leaseId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var options = http.Dispatch().Options;
        var body = await JsonBody.ReadAsync<SubmitRequest>(http, options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var result = body.Value!.Result?.GetRawText();
        var validator = new Validator();
        validator.Required("result", result);
        if (result is not null && Encoding.UTF8.GetByteCount(result) > options.MaxPayloadBytes)
        {
            validator.Add("result", $"Must be at most {options.MaxPayloadBytes} bytes of JSON.");
        }

        validator.StorableJson("result", body.Value.Result, result);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        if (LeaseProblem(workerId, leaseId) is { } problem)
        {
            return problem;
        }

        var answer = await grains.GetReference<IWorkerGrain>(workerId).SubmitAsync(leaseId, result!);
        return Answers.From(answer, receipt => TypedResults.Ok(new SubmitResponse(receipt.TaskId, ApiNames.Of(receipt.TaskState))));
    }

    public static async Task<Results<Ok<ReleaseResponse>, ProblemHttpResult>> ReleaseAsync(string workerId, string leaseId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<ReleaseRequest>(http, http.Dispatch().Options.MaxBodyBytes, allowEmpty: true);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        if (LeaseProblem(workerId, leaseId) is { } problem)
        {
            return problem;
        }

        var validator = new Validator();
        validator.WithoutNul("reason", body.Value?.Reason);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).ReleaseAsync(leaseId, body.Value?.Reason);
        return Answers.From(result, _ => TypedResults.Ok(new ReleaseResponse(leaseId, "released")));
    }

    /// <summary>Lease ids are server-made: anything else cannot be a lease of this worker.</summary>
    private static ProblemHttpResult? LeaseProblem(string workerId, string leaseId) =>
        Identifiers.IsValid(workerId) && LeaseIds.IsValid(leaseId) ? null : Problems.NotFound($"Lease '{leaseId}' does not exist for worker '{workerId}'.");
}
