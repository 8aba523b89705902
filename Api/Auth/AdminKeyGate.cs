using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatch.Api.Auth;

/// <summary>
/// Keeps pages for operators (the Orleans Dashboard, the metrics when asked) to holders of the admin key. A browser
/// cannot add a bearer header to a page it opens, so basic authentication with the key as password counts too, and a
/// refusal asks the browser for it.
/// </summary>
public static class AdminKeyGate
{
    private const string Challenge = "Basic realm=\"Dispatch operators\", charset=\"UTF-8\"";

    /// <summary>Answers <c>401</c> to any request under <paramref name="path"/> without the admin key.</summary>
    public static IApplicationBuilder UseAdminKeyFor(this IApplicationBuilder app, PathString path)
    {
        var options = new DispatchApiOptions();
        app.ApplicationServices.GetRequiredService<IConfiguration>().GetSection(DispatchApiOptions.Section).Bind(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(DispatchApiOptions.Section, typeof(DispatchApiOptions), problems);
        }

        var adminKeyHash = Secrets.Hash(options.AdminKey!);
        return app.UseWhen(http => http.Request.Path.StartsWithSegments(path), gated => gated.Use(async (http, next) =>
        {
            if (PresentedSecret(http.Request) is { } secret && CryptographicOperations.FixedTimeEquals(Secrets.Hash(secret), adminKeyHash))
            {
                await next(http);
                return;
            }

            http.Response.Headers.WWWAuthenticate = Challenge;
            await Problems.Unauthenticated().ExecuteAsync(http);
        }));
    }

    private static string? PresentedSecret(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var encoded = header["Basic ".Length..].Trim();
        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(encoded, buffer, out var length))
        {
            return null;
        }

        // user:password; the user name is anything, the password is the key.
        var pair = Encoding.UTF8.GetString(buffer, 0, length);
        var colon = pair.IndexOf(':');
        return colon < 0 ? null : pair[(colon + 1)..];
    }
}
