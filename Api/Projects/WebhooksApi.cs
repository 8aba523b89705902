using Dispatch.Api.Auth;
using Dispatch.Api.OpenApi;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Projects;

/// <summary>A project's webhook registrations and their delivery logs; the rules live with the project grain.</summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/projects/{projectId}/webhooks").WithTags("Webhooks").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapPost("", CreateAsync)
            .WithName("CreateWebhook").WithSummary("Register a URL that each event of the project is posted to, signed")
            .WithDescription("The URL must be http or https and, unless the server allows private networks, resolve to public addresses only. The secret is not shown again.")
            .Reads<CreateWebhookRequest>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.TooLarge);
        group.MapGet("", ListAsync)
            .WithName("ListWebhooks").WithSummary("List the project's webhook registrations, without their secrets")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapDelete("/{webhookId}", DeleteAsync)
            .WithName("DeleteWebhook").WithSummary("Delete a webhook registration; nothing more is posted to it")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        group.MapGet("/{webhookId}/deliveries", ListDeliveriesAsync)
            .WithName("ListWebhookDeliveries").WithSummary("Read a webhook's delivery log, newest first")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        return group;
    }

    public static async Task<Results<Created<WebhookResponse>, ProblemHttpResult>> CreateAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var context = http.Dispatch();
        if (await ProjectAccess.CheckAsync(grains, context.Caller, projectId) is { } problem)
        {
            return problem;
        }

        var body = await JsonBody.ReadAsync<CreateWebhookRequest>(http, context.Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var request = body.Value!;
        var validator = new Validator();
        validator.Required("url", request.Url);
        validator.Required("secret", request.Secret);
        if (request.Events?.Any(e => e is null) == true)
        {
            validator.Add("events", "Must be a list of event type names.");
        }

        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IProjectGrain>(projectId)
            .AddWebhookAsync(new NewWebhook(request.Url!, [.. request.Events ?? []], request.Secret!));
        return Answers.From(result, view => TypedResults.Created($"/v1/projects/{projectId}/webhooks/{view.Id}", WebhookResponse.From(view)));
    }

    public static async Task<Results<Ok<WebhookListResponse>, ProblemHttpResult>> ListAsync(string projectId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var views = await grains.GetReference<IProjectGrain>(projectId).ListWebhooksAsync();
        return TypedResults.Ok(new WebhookListResponse([.. views.Select(WebhookResponse.From)]));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string projectId, string webhookId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await CheckAsync(grains, http, projectId, webhookId) is { } problem)
        {
            return problem;
        }

        var result = await grains.GetReference<IProjectGrain>(projectId).DeleteWebhookAsync(webhookId);
        return Answers.From(result, _ => TypedResults.NoContent());
    }

    public static async Task<Results<Ok<WebhookDeliveryListResponse>, ProblemHttpResult>> ListDeliveriesAsync(
        string projectId, string webhookId, int? limit, HttpContext http, [FromServices] IGrainFactory grains)
    {
        if (await CheckAsync(grains, http, projectId, webhookId) is { } problem)
        {
            return problem;
        }

        var validator = new Validator();
        validator.Range("limit", limit, 1, Paging.MaxLimit);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IProjectGrain>(projectId).ListWebhookDeliveriesAsync(webhookId, limit ?? Paging.DefaultLimit);
        return Answers.From(result, page => TypedResults.Ok(new WebhookDeliveryListResponse([.. page.Select(WebhookDeliveryResponse.From)])));
    }

    private static async Task<ProblemHttpResult?> CheckAsync(IGrainFactory grains, HttpContext http, string projectId, string webhookId)
    {
        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, projectId) is { } problem)
        {
            return problem;
        }

        var validator = new Validator();
        validator.Id("webhookId", webhookId);
        return validator.IsValid ? null : Problems.Validation(validator.Errors);
    }
}
