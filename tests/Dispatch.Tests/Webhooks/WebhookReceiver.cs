using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dispatch.Tests.Webhooks;

/// <summary>
/// A real HTTP endpoint (Kestrel on loopback) that webhooks post to. It records every post, checks its signature the
/// way a platform's receiver would, and answers what <see cref="Answer"/> says for the post's attempt number.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _attemptsById = new(StringComparer.Ordinal);

    private WebhookReceiver(WebApplication app) => _app = app;

    public sealed record Post(string Query, string EventId, string Body, string Signature, bool SignatureValid, JsonObject Event, int Attempt, int Status, DateTimeOffset At);

    /// <summary>The status to answer for the given attempt of an event (1 for its first). Default: 200.</summary>
    public Func<JsonObject, int, int> Answer { get; set; } = (_, _) => 200;

    public string Secret { get; set; } = "";

    public ConcurrentQueue<Post> Posts { get; } = new();

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync(string secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app) { Secret = secret };
        app.MapPost("/hook", (Delegate)receiver.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/hook";
        return receiver;
    }

    /// <summary>
    /// Posts answered 2xx, one per registration (told apart by the URL's query) and event id: the receiver's
    /// de-duplication.
    /// </summary>
    public IReadOnlyDictionary<string, Post> Delivered() =>
        Posts.Where(p => p.Status is >= 200 and < 300).GroupBy(p => p.Query + "|" + p.EventId).ToDictionary(g => g.Key, g => g.First());

    public async Task<IReadOnlyDictionary<string, Post>> WaitForDeliveredAsync(Func<IReadOnlyDictionary<string, Post>, bool> done, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!done(Delivered()))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException(
                    $"Not delivered within {within}: {Delivered().Count} delivered of {Posts.Count} posts: " +
                    string.Join(", ", Posts.Select(p => $"{p.Event["type"]}#{p.Attempt}={p.Status}")));
            }

            await Task.Delay(50);
        }

        return Delivered();
    }

    /// <summary>A receiver's check: HMAC-SHA256 of "t.body" with the secret, compared in constant time.</summary>
    public static bool Verify(string secret, string signatureHeader, string body)
    {
        var parts = signatureHeader.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1) || !long.TryParse(t, out var seconds))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(v1);
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        var fresh = Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) < 300;
        return fresh && CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private async Task<IResult> ReceiveAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var eventId = http.Request.Headers["Dispatch-Event-Id"].ToString();
        var signature = http.Request.Headers["Dispatch-Signature"].ToString();
        var @event = JsonNode.Parse(body)!.AsObject();
        var query = http.Request.QueryString.Value ?? "";
        var attempt = _attemptsById.AddOrUpdate(query + "|" + eventId, 1, (_, n) => n + 1);
        var status = Answer(@event, attempt);
        Posts.Enqueue(new Post(query, eventId, body, signature, Verify(Secret, signature, body), @event, attempt, status, DateTimeOffset.UtcNow));
        return Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
