using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Dispatch.Client;

public static class DispatchEvents
{
    /// <summary>
    /// A project's events (<c>GET /v1/projects/{projectId}/events</c>, Server-Sent Events) until
    /// <paramref name="cancellationToken"/> is cancelled (then it throws <see cref="OperationCanceledException"/>). A dropped connection, a <c>503</c> or a <c>429</c> (too many
    /// streams) is followed by a reconnect that sends <c>Last-Event-ID</c>; an answer that will not change by waiting
    /// (<c>401</c>, <c>403</c>, <c>404</c>) ends the enumeration with a <see cref="DispatchProblemException"/>.
    /// </summary>
    public static async IAsyncEnumerable<DispatchEvent> ReadEventsAsync(
        this DispatchClient client,
        string projectId,
        EventStreamOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new EventStreamOptions();
        string? lastEventId = null;
        var delay = options.ReconnectDelay;
        while (true)
        {
            var (response, wait) = await ConnectAsync(client, projectId, lastEventId, cancellationToken);
            if (response is null)
            {
                await PauseAsync(wait ?? delay, cancellationToken);
                delay = Next(delay, options);
                continue;
            }

            using (response)
            {
                options.Connected?.Invoke();
                delay = options.ReconnectDelay;
                var reader = new ServerSentEventReader(await response.Content.ReadAsStreamAsync(cancellationToken));
                while (await ReadAsync(reader, cancellationToken) is { } message)
                {
                    lastEventId = message.Id ?? lastEventId;
                    if (JsonSerializer.Deserialize(message.Data, DispatchJsonContext.Default.DispatchEvent) is { } e)
                    {
                        yield return e with { EventId = message.Id };
                    }
                }

                delay = reader.Retry ?? delay;
            }

            await PauseAsync(delay, cancellationToken);
        }
    }

    private static async Task<(HttpResponseMessage? Response, TimeSpan? Wait)> ConnectAsync(DispatchClient client, string projectId, string? lastEventId, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.SendRawAsync(
                HttpMethod.Get, $"v1/projects/{Uri.EscapeDataString(projectId)}/events", null, Replay.Safe, HttpCompletionOption.ResponseHeadersRead, cancellationToken, lastEventId);
            return (response, null);
        }
        catch (DispatchProblemException problem) when (problem.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout)
        {
            return (null, problem.RetryAfter);
        }
        catch (Exception e) when (IsDrop(e, cancellationToken))
        {
            return (null, null);
        }
    }

    /// <summary>The next message; null when the connection ended or dropped, so the caller reconnects.</summary>
    private static async Task<ServerSentEvent?> ReadAsync(ServerSentEventReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(cancellationToken);
        }
        catch (Exception e) when (IsDrop(e, cancellationToken))
        {
            return null;
        }
    }

    private static bool IsDrop(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static Task PauseAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, cancellationToken);

    private static TimeSpan Next(TimeSpan delay, EventStreamOptions options) =>
        TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
}
