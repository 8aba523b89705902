using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dispatch.Api.Auth;
using Dispatch.Events;
using Microsoft.AspNetCore.Builder;
using Dispatch.Api.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace Dispatch.Api.Projects;

public sealed record EventResponse(string Type, string ProjectId, string? TaskId, string? WorkerId, string? LeaseId, DateTime At, JsonElement? Data);

/// <summary>A project's events as Server-Sent Events, read from the project's Orleans stream.</summary>
public static class EventsApi
{
    /// <summary>A comment line this often keeps proxies from closing a quiet connection.</summary>
    public static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder v1, ApiAuth auth, EventStreamSlots slots)
    {
        var group = v1.MapGroup("/projects/{projectId}/events").WithTags("Events").Allow(auth, Roles.Admin | Roles.Requester);
        group.MapGet("", (string projectId, HttpContext http, [FromServices] IClusterClient client) => StreamAsync(projectId, http, client, slots))
            .WithName("StreamEvents").WithSummary("Follow a project's task and worker events as Server-Sent Events")
            .WithDescription("Each SSE `event:` is the event's type and `data:` an `EventResponse` as JSON; a `: heartbeat` comment comes every 15 s.")
            .Produces<EventResponse>(StatusCodes.Status200OK, "text/event-stream")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        return group;
    }

    public static async Task<Results<EmptyHttpResult, ProblemHttpResult>> StreamAsync(string projectId, HttpContext http, IClusterClient client, EventStreamSlots slots)
    {
        var caller = http.Dispatch().Caller;
        if (await ProjectAccess.CheckAsync(client, caller, projectId) is { } problem)
        {
            return problem;
        }

        using var slot = slots.TryTake(caller);
        if (slot is null)
        {
            // A slot frees only when one of the caller's streams closes; a few seconds is a fair first wait.
            return Problems.RateLimited(http.Response, TimeSpan.FromSeconds(5), $"At most {slots.PerCaller} event streams may be open at once per caller.");
        }

        var interest = http.RequestServices.GetRequiredService<IEventInterest>();
        await interest.ListenAsync(projectId);
        var events = Channel.CreateBounded<(DispatchEvent Event, string Id)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        var sequence = 0L;
        var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<DispatchEvent>(EventStreams.ProjectNamespace, projectId);
        // Ids count this connection's events: a stream's sequence token numbers every event of all projects that share
        // its queue, so it would tell a reader how busy the rest of the service is. The server keeps no history, so no
        // id could resume anything anyway.
        var subscription = await stream.SubscribeAsync((e, _) =>
        {
            events.Writer.TryWrite((e, Interlocked.Increment(ref sequence).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return Task.CompletedTask;
        });

        try
        {
            await WriteAsync(http, events.Reader, () => interest.ListenAsync(projectId));
        }
        finally
        {
            await subscription.UnsubscribeAsync();
        }

        return TypedResults.Empty;
    }

    private static async Task WriteAsync(HttpContext http, ChannelReader<(DispatchEvent Event, string Id)> events, Func<Task> renewInterest)
    {
        var renewAt = DateTime.UtcNow.AddSeconds(IEventInterest.RenewSeconds);
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(http.RequestAborted);

        var aborted = http.RequestAborted;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                quiet.CancelAfter(HeartbeatPeriod);
                string frame;
                try
                {
                    var (e, id) = await events.ReadAsync(quiet.Token);
                    frame = $"id: {id}\nevent: {e.Type}\ndata: {JsonSerializer.Serialize(ToResponse(e), JsonBody.Options)}\n\n";
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    frame = ": heartbeat\n\n";
                }

                await response.Body.WriteAsync(Encoding.UTF8.GetBytes(frame), aborted);
                await response.Body.FlushAsync(aborted);
                if (DateTime.UtcNow >= renewAt)
                {
                    renewAt = DateTime.UtcNow.AddSeconds(IEventInterest.RenewSeconds);
                    await renewInterest();
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: the stream ends here.
        }
    }

    private static EventResponse ToResponse(DispatchEvent e) =>
        new(e.Type, e.ProjectId, e.TaskId, e.WorkerId, e.LeaseId, e.At.UtcDateTime, e.DataJson is null ? null : Json.Parse(e.DataJson));
}
