using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Workers;

public static class WorkersApi
{
    public const int DefaultMaxActiveLeases = 5;

    public static RouteGroupBuilder MapWorkersApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/workers").WithTags("Workers");
        group.MapPost("/", CreateAsync).Allow(auth, Roles.Admin);
        group.MapGet("/{workerId}", GetAsync).Allow(auth, Roles.Admin | Roles.Worker);
        group.MapPut("/{workerId}/certifications/{skill}", CertifyAsync).Allow(auth, Roles.Admin);
        group.MapDelete("/{workerId}/certifications/{skill}", RevokeAsync).Allow(auth, Roles.Admin);
        group.MapPost("/{workerId}/block", BlockAsync).Allow(auth, Roles.Admin);
        group.MapPost("/{workerId}/unblock", UnblockAsync).Allow(auth, Roles.Admin);
        return group;
    }

    public static async Task<IResult> CreateAsync(HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<CreateWorkerRequest>(http, http.Dispatch().Options.MaxBodyBytes);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var request = body.Value!;
        var validator = new Validator();
        validator.Id("id", request.Id);
        validator.MaxLength("displayName", request.DisplayName, 1024);
        validator.Range("maxActiveLeases", request.MaxActiveLeases, 1, 1000);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var token = Secrets.Issue(Secrets.WorkerPrefix, request.Id!);
        var result = await grains.GetReference<IWorkerGrain>(request.Id!).CreateAsync(request.DisplayName, request.MaxActiveLeases ?? DefaultMaxActiveLeases, Secrets.Hash(token));
        return Answers.From(result, created => TypedResults.Created($"/v1/workers/{created.Id}", new CreatedWorker(created.Id, token)));
    }

    public static async Task<IResult> GetAsync(string workerId, [FromServices] IGrainFactory grains)
    {
        if (!Identifiers.IsValid(workerId))
        {
            return InvalidWorkerId();
        }

        var view = await grains.GetReference<IWorkerGrain>(workerId).GetAsync();
        return view is null ? Problems.NotFound($"Worker '{workerId}' does not exist.") : TypedResults.Ok(WorkerResponse.From(view));
    }

    public static async Task<IResult> CertifyAsync(string workerId, string skill, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<CertificationRequest>(http, http.Dispatch().Options.MaxBodyBytes);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        var validator = new Validator();
        validator.Id("workerId", workerId);
        validator.Id("skill", skill);
        validator.Required("level", body.Value!.Level);
        validator.Range("level", body.Value.Level, 1, 100);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).CertifyAsync(skill, body.Value.Level!.Value, CertificationSource.Admin);
        return Answers.From(result, view => TypedResults.Ok(WorkerResponse.From(view)));
    }

    public static async Task<IResult> RevokeAsync(string workerId, string skill, [FromServices] IGrainFactory grains)
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

    public static Task<IResult> BlockAsync(string workerId, HttpContext http, [FromServices] IGrainFactory grains) =>
        ChangeBlockAsync(workerId, http, grains, (worker, reason) => worker.BlockAsync(reason));

    public static Task<IResult> UnblockAsync(string workerId, HttpContext http, [FromServices] IGrainFactory grains) =>
        ChangeBlockAsync(workerId, http, grains, (worker, _) => worker.UnblockAsync());

    /// <summary>Block and unblock read the same optional <c>{reason?}</c> body and answer the worker view.</summary>
    private static async Task<IResult> ChangeBlockAsync(string workerId, HttpContext http, IGrainFactory grains, Func<IWorkerGrain, string?, Task<Result<WorkerView>>> change)
    {
        var body = await JsonBody.ReadAsync<BlockRequest>(http, http.Dispatch().Options.MaxBodyBytes, allowEmpty: true);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        if (!Identifiers.IsValid(workerId))
        {
            return InvalidWorkerId();
        }

        var result = await change(grains.GetReference<IWorkerGrain>(workerId), body.Value?.Reason);
        return Answers.From(result, view => TypedResults.Ok(WorkerResponse.From(view)));
    }

    private static IResult InvalidWorkerId() =>
        Problems.Validation(new Dictionary<string, string[]> { ["workerId"] = [$"Must match {Identifiers.Pattern}."] });
}
