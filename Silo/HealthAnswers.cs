using Dispatch.Api;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dispatch.Silo;

/// <summary>
/// How the health endpoints answer: the status as plain text, as ASP.NET Core's own writer does, and a
/// <c>Retry-After</c> on a <c>503</c>, as on every other <c>503</c> of the host.
/// </summary>
public static class HealthAnswers
{
    public static Task WriteAsync(HttpContext http, HealthReport report)
    {
        if (http.Response.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            Problems.SetRetryAfter(http.Response, Problems.UnavailableRetryAfter);
        }

        http.Response.ContentType = "text/plain";
        return http.Response.WriteAsync(report.Status.ToString());
    }
}
