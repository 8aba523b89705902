using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;

namespace Dispatch.Client;

/// <summary>
/// Typed calls of the Dispatch HTTP API, one method per operation. Error answers throw
/// <see cref="DispatchProblemException"/>. Get one from <c>services.AddDispatchClient(...)</c> (retries included), or
/// wrap an <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is set. Thread-safe.
/// </summary>
public sealed partial class DispatchClient
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    private static DispatchJsonContext Json => DispatchJsonContext.Default;

    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <param name="http">Its base address is the API's root; the client never changes its default headers.</param>
    /// <param name="secret">Sent as <c>Authorization: Bearer</c>: admin key, requester key or worker token.</param>
    public DispatchClient(HttpClient http, string? secret = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        Secret = secret;
        _authorization = secret is null ? null : new AuthenticationHeaderValue("Bearer", secret);
    }

    public string? Secret { get; }

    /// <summary>The same connection pool and retries, acting with another secret (a worker's token, say).</summary>
    public DispatchClient As(string secret) => new(_http, secret);

    private Task<T> GetAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, Replay.Safe, answer, cancellationToken)!;

    private Task<T?> SendAsync<TBody, T>(HttpMethod method, string path, TBody body, JsonTypeInfo<TBody> bodyType, Replay replay, JsonTypeInfo<T>? answer, CancellationToken cancellationToken)
    {
        // Bytes, not a streaming content: a retry sends exactly the same body again.
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, bodyType));
        content.Headers.ContentType = JsonType;
        return SendAsync(method, path, content, replay, answer, cancellationToken);
    }

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, HttpContent? content, Replay replay, JsonTypeInfo<T>? answer, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, content, replay, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent || answer is null)
        {
            return default;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync(stream, answer, cancellationToken)
            ?? throw new JsonException($"{method} {path} answered {(int)response.StatusCode} with an empty body.");
    }

    /// <summary>Sends one call through the retry pipeline; a non-success answer becomes a <see cref="DispatchProblemException"/>.</summary>
    internal async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, Replay replay, HttpCompletionOption completion, CancellationToken cancellationToken, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.ParseAdd(completion == HttpCompletionOption.ResponseHeadersRead ? "text/event-stream" : "application/json");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ReplayPolicy.Key, replay);
        request.SetResilienceContext(context);
        try
        {
            var response = await _http.SendAsync(request, completion, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                throw await Problems.ReadAsync(response, cancellationToken);
            }
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);
}
