using Dispatch.Api.Auth;
using Dispatch.Common;
using Dispatch.Requesters;
using Microsoft.AspNetCore.Builder;
using Dispatch.Api.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Requesters;

public sealed record CreateRequesterRequest(string? Id, string? Name = null);

/// <summary>The API key appears in this answer only.</summary>
public sealed record CreatedRequester(string Id, string Name, string ApiKey);

public static class RequestersApi
{
    public static RouteGroupBuilder MapRequestersApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/requesters").WithTags("Requesters");
        group.MapPost("", CreateAsync).Allow(auth, Roles.Admin)
            .WithName("CreateRequester").WithSummary("Create a requester and issue its API key")
            .WithDescription("The key appears in this answer only; the server keeps just its hash.")
            .Reads<CreateRequesterRequest>()
            .Refuses(ProblemType.Validation, ProblemType.Conflict, ProblemType.TooLarge);
        return group;
    }

    public static async Task<Results<Created<CreatedRequester>, ProblemHttpResult>> CreateAsync(HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<CreateRequesterRequest>(http, http.Dispatch().Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var request = body.Value!;
        var validator = new Validator();
        validator.Id("id", request.Id);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            validator.Add("name", "Required: a name people recognise the requester by.");
        }

        validator.Text("name", request.Name, 1024);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var apiKey = Secrets.Issue(Secrets.RequesterPrefix, request.Id!);
        var result = await grains.GetReference<IRequesterGrain>(request.Id!).CreateAsync(request.Name!, Secrets.Hash(apiKey));
        return Answers.From(result, created => TypedResults.Created($"/v1/requesters/{created.Id}", new CreatedRequester(created.Id, created.Name, apiKey)));
    }
}
