using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Work;

/// <summary>One Server-Sent Events frame: its <c>id:</c>, <c>event:</c> and joined <c>data:</c> lines.</summary>
public sealed record SseFrame(string? Id, string? Event, string Data)
{
    public JsonNode Json => JsonNode.Parse(Data) ?? throw new XunitException($"Empty data in frame {this}");

    public override string ToString() => $"id: {Id} event: {Event} data: {Data}";
}

/// <summary>
/// Reads an open <c>text/event-stream</c> response in the background and keeps every frame, so that a test can wait
/// for the frame it expects and quote all the others when it does not come.
/// </summary>
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<SseFrame> _frames = [];
    private readonly Task _pump;
    private Exception? _failure;

    private SseReader(HttpResponseMessage response)
    {
        _response = response;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Comment lines seen (<c>: heartbeat</c>).</summary>
    public int Comments { get; private set; }

    public IReadOnlyList<SseFrame> Frames
    {
        get
        {
            lock (_frames)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> as an event stream. Returns the reader when the answer is <c>200
    /// text/event-stream</c>; otherwise the fully read refusal.
    /// </summary>
    public static async Task<(SseReader? Reader, ApiResponse? Refusal)> OpenAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync();
                return (null, new ApiResponse(HttpMethod.Get, path, response.StatusCode, response.Content.Headers.ContentType?.MediaType, text));
            }
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType != "text/event-stream")
        {
            response.Dispose();
            throw new XunitException($"GET {path} answered 200 with content type '{mediaType}', not text/event-stream");
        }

        return (new SseReader(response), null);
    }

    /// <summary>Waits for the first frame (seen so far or to come) that matches; fails quoting every frame seen.</summary>
    public async Task<SseFrame> WaitForAsync(Func<SseFrame, bool> matches, string what, TimeSpan? timeout = null)
    {
        var giveUp = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var frames = Frames;
            if (frames.FirstOrDefault(matches) is { } frame)
            {
                return frame;
            }

            if (_failure is not null || DateTime.UtcNow > giveUp)
            {
                throw new XunitException(
                    $"No {what} event within {(timeout ?? TimeSpan.FromSeconds(5)).TotalSeconds:0.#} s" +
                    (_failure is null ? "" : $" (the stream failed: {_failure.Message})") +
                    $"; {frames.Count} frames seen:{Environment.NewLine}{string.Join(Environment.NewLine, frames)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits for an event of <paramref name="type"/> (and the given ids when not null).</summary>
    public Task<SseFrame> WaitForEventAsync(string type, string? taskId = null, string? workerId = null, string? leaseId = null, TimeSpan? timeout = null) =>
        WaitForAsync(
            f => f.Event == type &&
                 (taskId is null || f.Json["taskId"]?.GetValue<string>() == taskId) &&
                 (workerId is null || f.Json["workerId"]?.GetValue<string>() == workerId) &&
                 (leaseId is null || f.Json["leaseId"]?.GetValue<string>() == leaseId),
            $"{type} (task {taskId ?? "any"}, worker {workerId ?? "any"}, lease {leaseId ?? "any"})",
            timeout);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try
        {
            await _pump;
        }
        catch (Exception)
        {
            // Reading a stream that was just closed under it; nothing to report.
        }

        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            await using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? id = null;
            string? type = null;
            var data = new StringBuilder();
            var hasData = false;
            while (!_stop.IsCancellationRequested)
            {
                var line = await reader.ReadLineAsync(_stop.Token);
                if (line is null)
                {
                    return;
                }

                if (line.Length == 0)
                {
                    if (hasData || type is not null)
                    {
                        lock (_frames)
                        {
                            _frames.Add(new SseFrame(id, type, data.ToString()));
                        }
                    }

                    id = null;
                    type = null;
                    data.Clear();
                    hasData = false;
                    continue;
                }

                if (line.StartsWith(':'))
                {
                    Comments++;
                    continue;
                }

                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' '))
                {
                    value = value[1..];
                }

                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        type = value;
                        break;
                    case "data":
                        if (hasData)
                        {
                            data.Append('\n');
                        }

                        data.Append(value);
                        hasData = true;
                        break;
                }
            }
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            _failure = e;
        }
    }
}
