using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Workers;
using Microsoft.AspNetCore.Builder;
using Dispatch.Api.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Workers;

public static class WorkersApi
{

    public static RouteGroupBuilder MapWorkersApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/workers").WithTags("Workers");
        group.MapPost("", CreateAsync).Allow(auth, Roles.Admin)
            .WithName("CreateWorker").WithSummary("Create a worker and issue its token")
            .WithDescription("The token appears in this answer only; the server keeps just its hash.")
            .Reads<CreateWorkerRequest>()
            .Refuses(ProblemType.Validation, ProblemType.Conflict, ProblemType.TooLarge);
        group.MapGet("/{workerId}", GetAsync).Allow(auth, Roles.Admin | Roles.Worker)
            .WithName("GetWorker").WithSummary("Read a worker: certifications, active leases, stats and earnings")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapPut("/{workerId}/certifications/{skill}", CertifyAsync).Allow(auth, Roles.Admin)
            .WithName("CertifyWorker").WithSummary("Grant or change a worker's certification for a skill")
            .WithDescription("Also lifts a suspension of that certification.")
            .Reads<CertificationRequest>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.TooLarge);
        group.MapDelete("/{workerId}/certifications/{skill}", RevokeAsync).Allow(auth, Roles.Admin)
            .WithName("RevokeCertification").WithSummary("Take a certification away from a worker")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapPost("/{workerId}/block", BlockAsync).Allow(auth, Roles.Admin)
            .WithName("BlockWorker").WithSummary("Block a worker; its active leases end at once")
            .Reads<BlockRequest>(optional: true)
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.TooLarge);
        group.MapPost("/{workerId}/unblock", UnblockAsync).Allow(auth, Roles.Admin)
            .WithName("UnblockWorker").WithSummary("Let a blocked worker claim work again")
            .Reads<BlockRequest>(optional: true)
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.TooLarge);
        return group;
    }

    public static async Task<Results<Created<CreatedWorker>, ProblemHttpResult>> CreateAsync(HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<CreateWorkerRequest>(http, http.Dispatch().Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var request = body.Value!;
        var validator = new Validator();
        validator.Id("id", request.Id);
        validator.Text("displayName", request.DisplayName, 1024);
        var maxActiveLeases = request.MaxActiveLeases ?? WorkerRules.DefaultMaxActiveLeases;
        validator.AddAll(WorkerRules.CheckMaxActiveLeases(maxActiveLeases));
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var token = Secrets.Issue(Secrets.WorkerPrefix, request.Id!);
        var result = await grains.GetReference<IWorkerGrain>(request.Id!).CreateAsync(request.DisplayName, maxActiveLeases, Secrets.Hash(token));
        return Answers.From(result, created => TypedResults.Created($"/v1/workers/{created.Id}", new CreatedWorker(created.Id, token)));
    }

    public static async Task<Results<Ok<WorkerResponse>, ProblemHttpResult>> GetAsync(string workerId, [FromServices] IGrainFactory grains)
    {
        if (!Identifiers.IsValid(workerId))
        {
            return InvalidWorkerId();
        }

        var view = await grains.GetReference<IWorkerGrain>(workerId).GetAsync();
        if (view is null)
        {
            return Problems.NotFound($"Worker '{workerId}' does not exist.");
        }

        return TypedResults.Ok(WorkerResponse.From(view));
    }

    public static async Task<Results<Ok<WorkerResponse>, ProblemHttpResult>> CertifyAsync(string workerId, string skill, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<CertificationRequest>(http, http.Dispatch().Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var validator = new Validator();
        validator.Id("workerId", workerId);
        validator.Required("level", body.Value!.Level);
        validator.AddAll(WorkerRules.CheckCertification(skill, body.Value.Level ?? 1));
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).CertifyAsync(skill, body.Value.Level!.Value, CertificationSource.Admin);
        return Answers.From(result, view => TypedResults.Ok(WorkerResponse.From(view)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string workerId, string skill, [FromServices] IGrainFactory grains)
    {
        var validator = new Validator();
        validator.Id("workerId", workerId);
        validator.Id("skill", skill);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).RevokeAsync(skill);
        return Answers.From(result, _ => TypedResults.NoContent());
    }

    public static Task<Results<Ok<WorkerResponse>, ProblemHttpResult>> BlockAsync(string workerId, HttpContext http, [FromServices] IGrainFactory grains) =>
        ChangeBlockAsync(workerId, http, grains, (worker, reason) => worker.BlockAsync(reason));

    public static Task<Results<Ok<WorkerResponse>, ProblemHttpResult>> UnblockAsync(string workerId, HttpContext http, [FromServices] IGrainFactory grains) =>
        ChangeBlockAsync(workerId, http, grains, (worker, _) => worker.UnblockAsync());

    /// <summary>Block and unblock read the same optional <c>{reason?}</c> body and answer the worker view.</summary>
    private static async Task<Results<Ok<WorkerResponse>, ProblemHttpResult>> ChangeBlockAsync(string workerId, HttpContext http, IGrainFactory grains, Func<IWorkerGrain, string?, Task<Result<WorkerView>>> change)
    {
        var body = await JsonBody.ReadAsync<BlockRequest>(http, http.Dispatch().Options.MaxBodyBytes, allowEmpty: true);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        if (!Identifiers.IsValid(workerId))
        {
            return InvalidWorkerId();
        }

        var validator = new Validator();
        validator.WithoutNul("reason", body.Value?.Reason);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await change(grains.GetReference<IWorkerGrain>(workerId), body.Value?.Reason);
        return Answers.From(result, view => TypedResults.Ok(WorkerResponse.From(view)));
    }

    private static ProblemHttpResult InvalidWorkerId() =>
        Problems.Validation(new Dictionary<string, string[]> { ["workerId"] = [$"Must match {Identifiers.Pattern}."] });
}
