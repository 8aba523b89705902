using Microsoft.AspNetCore.Builder;
using Dispatch.Api.OpenApi;
using Microsoft.AspNetCore.Http;

namespace Dispatch.Api.Auth;

/// <summary>
/// The one place where roles are enforced: authenticates the bearer secret (401), checks the caller's role
/// against the endpoint's (403), and keeps a worker to routes under its own id.
/// </summary>
public sealed class AuthorizationFilter(CallerAuthenticator authenticator, CallerRateLimiter rateLimiter, DispatchApiOptions options, Roles allowed) : IEndpointFilter
{
    public const string WorkerRouteKey = "workerId";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var authentication = await authenticator.AuthenticateAsync(BearerSecret(http.Request), http.Connection.RemoteIpAddress);
        if (authentication.RetryAfter is { } wait)
        {
            return Problems.RateLimited(http.Response, wait, "Too many calls from this address with secrets this server has not verified yet; retry after the time in Retry-After.");
        }

        if (authentication.Caller is not { } caller)
        {
            return Problems.Unauthenticated();
        }

        if ((allowed & caller.Role) == 0)
        {
            return Problems.Forbidden("This call is not open to your role.");
        }

        if (caller.Role == Roles.Worker
            && http.Request.RouteValues.TryGetValue(WorkerRouteKey, out var workerId)
            && !string.Equals(workerId as string, caller.Id, StringComparison.Ordinal))
        {
            return Problems.Forbidden("A worker acts only as itself.");
        }

        if (rateLimiter.Refusal(caller) is { } retryAfter)
        {
            return Problems.RateLimited(http.Response, retryAfter, $"Too many requests from this {caller.Role.ToString().ToLowerInvariant()}; retry after the time in Retry-After.");
        }

        RequestContext.Set(http, new RequestContext(caller, options));
        return await next(context);
    }

    private static string? BearerSecret(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
    }
}

public static class AuthorizationExtensions
{
    /// <summary>Opens the endpoints of <paramref name="builder"/> to the given roles only.</summary>
    public static TBuilder Allow<TBuilder>(this TBuilder builder, ApiAuth auth, Roles roles)
        where TBuilder : IEndpointConventionBuilder =>
        builder
            .AddEndpointFilter(new AuthorizationFilter(auth.Authenticator, auth.RateLimiter, auth.Options, roles))
            .WithMetadata(new AllowedRoles(roles))
            .Refuses(ProblemType.Unauthenticated, ProblemType.Forbidden, ProblemType.RateLimited);
}

/// <summary>The roles an endpoint is open to, as its authorization filter enforces them; the OpenAPI document shows them.</summary>
public sealed record AllowedRoles(Roles Roles);

/// <summary>What the authorization filters share.</summary>
public sealed record ApiAuth(CallerAuthenticator Authenticator, CallerRateLimiter RateLimiter, DispatchApiOptions Options);
