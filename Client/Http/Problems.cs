using System.Net;
using System.Text.Json;

namespace Dispatch.Client;

internal static class Problems
{
    /// <summary>Reads an error answer; a body that is not problem+json (a proxy's page, say) still yields a typed problem.</summary>
    public static async Task<DispatchProblemException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ProblemBody? body = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (text.Length > 0 && text.TrimStart().StartsWith('{'))
            {
                body = JsonSerializer.Deserialize(text, DispatchJsonContext.Default.ProblemBody);
            }
        }
        catch (JsonException)
        {
            // Not a problem body: the status alone describes the error below.
        }

        var type = ShortName(body?.Type) ?? FromStatus(response.StatusCode);
        return new DispatchProblemException(response.StatusCode, type, body?.Title ?? response.ReasonPhrase, body?.Detail, body?.Errors, RetryAfter(response));
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };

    /// <summary>The contract allows a relative URI; a client branches on its last segment either way.</summary>
    private static string? ShortName(string? type) =>
        string.IsNullOrEmpty(type) ? null : type.TrimEnd('/')[(type.TrimEnd('/').LastIndexOf('/') + 1)..];

    private static string FromStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => ProblemTypes.Validation,
        HttpStatusCode.Unauthorized => ProblemTypes.Unauthenticated,
        HttpStatusCode.Forbidden => ProblemTypes.Forbidden,
        HttpStatusCode.NotFound => ProblemTypes.NotFound,
        HttpStatusCode.Conflict => ProblemTypes.Conflict,
        HttpStatusCode.RequestEntityTooLarge => ProblemTypes.TooLarge,
        HttpStatusCode.TooManyRequests => ProblemTypes.RateLimited,
        HttpStatusCode.ServiceUnavailable => ProblemTypes.Unavailable,
        _ => "http-" + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
