using Microsoft.AspNetCore.Http;

namespace Dispatch.Api.Auth;

/// <summary>What the authorization filter established about a request, for its handler.</summary>
public sealed record RequestContext(Caller Caller, DispatchApiOptions Options)
{
    private static readonly object Key = new();

    internal static void Set(HttpContext http, RequestContext context) => http.Items[Key] = context;

    internal static RequestContext Get(HttpContext http) =>
        http.Items[Key] as RequestContext ?? throw new InvalidOperationException("The endpoint is missing its authorization filter.");
}

public static class HttpContextExtensions
{
    public static RequestContext Dispatch(this HttpContext http) => RequestContext.Get(http);
}
