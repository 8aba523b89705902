using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dispatch.Tests.Infrastructure;

/// <summary>
/// One HTTP answer, read completely, so that assertions can quote it. <see cref="ToString"/> prints the request line,
/// the status and (a prefix of) the body, which is what a failing assertion should show.
/// </summary>
public sealed class ApiResponse
{
    private readonly Lazy<JsonNode?> _json;

    public ApiResponse(HttpMethod method, string path, HttpStatusCode status, string? mediaType, string text)
    {
        Method = method;
        Path = path;
        Status = status;
        MediaType = mediaType;
        Text = text;
        _json = new Lazy<JsonNode?>(() => string.IsNullOrWhiteSpace(Text) ? null : JsonNode.Parse(Text));
    }

    public HttpMethod Method { get; }

    public string Path { get; }

    public HttpStatusCode Status { get; }

    /// <summary>The media type of the content, without parameters (<c>application/problem+json</c>).</summary>
    public string? MediaType { get; }

    public string Text { get; }

    /// <summary>The body as JSON; fails the test with the raw answer when the body is empty or not JSON.</summary>
    public JsonNode Json
    {
        get
        {
            try
            {
                return _json.Value ?? throw new InvalidOperationException("empty body");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new Xunit.Sdk.XunitException($"Expected a JSON body ({e.Message}): {this}");
            }
        }
    }

    public override string ToString()
    {
        var body = Text.Length > 2000 ? Text[..2000] + "…" : Text;
        return $"{Method} {Path} -> {(int)Status} {Status} [{MediaType}] {body}";
    }
}

/// <summary>Small verbs over <see cref="HttpClient"/> that return a fully read <see cref="ApiResponse"/>.</summary>
public static class ApiClient
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task<ApiResponse> GetApiAsync(this HttpClient client, string path) =>
        client.SendApiAsync(HttpMethod.Get, path, body: null);

    public static Task<ApiResponse> DeleteApiAsync(this HttpClient client, string path) =>
        client.SendApiAsync(HttpMethod.Delete, path, body: null);

    public static Task<ApiResponse> PostApiAsync(this HttpClient client, string path, object? body) =>
        client.SendApiAsync(HttpMethod.Post, path, body);

    public static Task<ApiResponse> PutApiAsync(this HttpClient client, string path, object? body) =>
        client.SendApiAsync(HttpMethod.Put, path, body);

    public static Task<ApiResponse> PatchApiAsync(this HttpClient client, string path, object? body) =>
        client.SendApiAsync(HttpMethod.Patch, path, body);

    /// <summary>
    /// Sends <paramref name="body"/> as JSON: a <see cref="string"/> is sent as raw JSON text, a
    /// <see cref="JsonNode"/> as itself, anything else serialized with web defaults (camelCase); null sends no body.
    /// </summary>
    public static async Task<ApiResponse> SendApiAsync(this HttpClient client, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            var text = body switch
            {
                string raw => raw,
                JsonNode node => node.ToJsonString(),
                _ => JsonSerializer.Serialize(body, Json),
            };
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var content = await response.Content.ReadAsStringAsync();
        return new ApiResponse(method, path, response.StatusCode, response.Content.Headers.ContentType?.MediaType, content);
    }

    /// <summary>Sets (or, for null, removes) <c>Authorization: Bearer</c> on <paramref name="client"/>.</summary>
    public static HttpClient WithBearer(this HttpClient client, string? secret)
    {
        client.DefaultRequestHeaders.Authorization = secret is null ? null : new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }
}
