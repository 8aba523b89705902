using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Hostile;

/// <summary>What every hostile test checks of every answer, and the raw sends the polite <see cref="ApiClient"/> can't make.</summary>
public static class Hostile
{
    /// <summary>The error types of docs/api.md and the status each goes with.</summary>
    public static readonly IReadOnlyDictionary<string, int> ProblemTypes = new Dictionary<string, int>
    {
        ["validation"] = 400,
        ["unauthenticated"] = 401,
        ["forbidden"] = 403,
        ["worker-blocked"] = 403,
        ["not-found"] = 404,
        ["conflict"] = 409,
        ["lease-expired"] = 409,
        ["lease-not-active"] = 409,
        ["project-not-open"] = 409,
        ["too-large"] = 413,
        ["rate-limited"] = 429,
        ["unavailable"] = 503,
    };

    /// <summary>
    /// Null when <paramref name="response"/> keeps the contract's promises for any call: never 5xx (503
    /// <c>unavailable</c> aside, which a healthy test host never has cause to send), and every 4xx an
    /// <c>application/problem+json</c> whose <c>type</c> is a short name of docs/api.md matching the status. Otherwise why not.
    /// </summary>
    public static string? Violation(ApiResponse response)
    {
        var status = (int)response.Status;
        if (status >= 500)
        {
            return $"a {status} answer";
        }

        if (status < 400)
        {
            return null;
        }

        if (!string.Equals(response.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            return $"a {status} answer that is not application/problem+json";
        }

        JsonNode? json;
        try
        {
            json = JsonNode.Parse(response.Text);
        }
        catch (System.Text.Json.JsonException)
        {
            return "a problem body that is not JSON";
        }

        var type = (json as JsonObject)?["type"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        var shortName = type?[(type.LastIndexOf('/') + 1)..];
        if (shortName is null || !ProblemTypes.TryGetValue(shortName, out var expected))
        {
            return $"a problem type '{type}' that docs/api.md does not name";
        }

        if (expected != status)
        {
            return $"problem type '{shortName}' with status {status} (docs/api.md: {expected})";
        }

        foreach (var member in new[] { "title", "status", "detail" })
        {
            if (json![member] is null)
            {
                return $"a problem without '{member}'";
            }
        }

        return null;
    }

    /// <summary>Fails quoting the answer when <see cref="Violation"/> finds one.</summary>
    public static ApiResponse Keeps(this ApiResponse response, string? context = null)
    {
        if (Violation(response) is { } why)
        {
            throw new XunitException($"{why}{(context is null ? "" : $" ({context})")}: {response}");
        }

        return response;
    }

    /// <summary>The short problem type of an error answer, or null.</summary>
    public static string? ProblemType(this ApiResponse response)
    {
        if ((int)response.Status < 400 || string.IsNullOrWhiteSpace(response.Text))
        {
            return null;
        }

        try
        {
            var type = JsonNode.Parse(response.Text)?["type"]?.GetValue<string>();
            return type?[(type.LastIndexOf('/') + 1)..];
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sends <paramref name="body"/> bytes as they are (BOMs, invalid UTF-8) to <paramref name="rawPath"/> as written
    /// (percent-escapes included), and reads the whole answer.
    /// </summary>
    public static async Task<ApiResponse> SendRawAsync(
        this HttpClient client, HttpMethod method, string rawPath, byte[]? body, string contentType = "application/json")
    {
        var uri = new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + rawPath, UriKind.Absolute);
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using var response = await client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new ApiResponse(method, rawPath, response.StatusCode, response.Content.Headers.ContentType?.MediaType, Encoding.UTF8.GetString(bytes));
    }

    public static Task<ApiResponse> SendTextAsync(this HttpClient client, HttpMethod method, string rawPath, string? body) =>
        client.SendRawAsync(method, rawPath, body is null ? null : Encoding.UTF8.GetBytes(body));
}

/// <summary>Counts answers by status, so that a fuzz test can say what it did.</summary>
public sealed class CallTally
{
    private readonly ConcurrentDictionary<int, int> _byStatus = new();

    public int Total => _byStatus.Values.Sum();

    public ApiResponse Record(ApiResponse response)
    {
        _byStatus.AddOrUpdate((int)response.Status, 1, (_, n) => n + 1);
        return response;
    }

    public void Add(CallTally other)
    {
        foreach (var (status, count) in other._byStatus)
        {
            _byStatus.AddOrUpdate(status, count, (_, n) => n + count);
        }
    }

    public override string ToString() =>
        $"{Total} calls: " + string.Join(", ", _byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"));
}
