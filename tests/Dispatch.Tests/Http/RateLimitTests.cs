using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Http;

/// <summary>Per-caller limits: a worker or requester over its rate gets 429 rate-limited with Retry-After.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly DispatchApiFactory _host = DispatchApiFactory.ForMemory();

    public Task InitializeAsync()
    {
        _host.Settings["Dispatch:RateLimits:WorkerPerSecond"] = "2";
        _host.Settings["Dispatch:RateLimits:WorkerBurst"] = "3";
        _host.Settings["Dispatch:RateLimits:RequesterPerSecond"] = "2";
        _host.Settings["Dispatch:RateLimits:RequesterBurst"] = "3";
        _host.Settings["Dispatch:RateLimits:EventStreamsPerCaller"] = "1";
        _host.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task Worker_OverItsRate_Gets429WithRetryAfter_AndOthersAreNotAffected()
    {
        var admin = _host.CreateAdminClient();
        var busy = await CreateWorkerAsync(admin, "busy");
        var calm = await CreateWorkerAsync(admin, "calm");

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await busy.GetAsync("/v1/workers/busy/leases"));
        }

        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.InRange(limited.Count, 1, 3);
        Assert.All(answers.Take(3), a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var problem = await limited[0].Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("rate-limited", problem!["type"]!.GetValue<string>());
        Assert.Equal("application/problem+json", limited[0].Content.Headers.ContentType!.MediaType);
        Assert.True(limited[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.OK, (await calm.GetAsync("/v1/workers/calm/leases")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/workers/busy")).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/v1/workers/busy/leases")).StatusCode);
    }

    [Fact]
    public async Task Requester_HoldsAtMostItsEventStreams()
    {
        var admin = _host.CreateAdminClient();
        var created = await (await admin.PostAsJsonAsync("/v1/requesters", new { id = "acme", name = "Acme" })).Content.ReadFromJsonAsync<JsonObject>();
        var requester = _host.CreateClient(created!["apiKey"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await requester.PostAsJsonAsync("/v1/projects", new { id = "p" })).StatusCode);

        using var first = await requester.GetAsync("/v1/projects/p/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await requester.GetAsync("/v1/projects/p/events", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("rate-limited", (await second.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>());
    }

    private async Task<HttpClient> CreateWorkerAsync(HttpClient admin, string id)
    {
        var created = await (await admin.PostAsJsonAsync("/v1/workers", new { id })).Content.ReadFromJsonAsync<JsonObject>();
        return _host.CreateClient(created!["token"]!.GetValue<string>());
    }
}
