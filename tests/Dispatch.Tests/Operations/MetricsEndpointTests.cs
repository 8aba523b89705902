using System.Net;
using System.Net.Http.Headers;
using Dispatch.Tests.Cluster;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Operations;

/// <summary>
/// What an operator's Prometheus reads from <c>GET /metrics</c> of a real host process after some work: the crowd's
/// counters, per-project gauges that agree with the API, a bounded number of project series, and ASP.NET Core's and
/// Orleans' meters. A process of its own, because meters are named per process: a provider in a test process would
/// also see the meters of every other host that tests run beside it.
/// </summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private readonly string _adminKey = "metrics-admin-" + Guid.NewGuid().ToString("N");
    private SiloProcess _silo = null!;
    private HttpClient _admin = null!;
    private HttpClient _anonymous = null!;

    public async Task InitializeAsync()
    {
        _silo = await SiloProcess.StartAsync("metrics", new SiloSettings
        {
            AdminKey = _adminKey,
            Storage = "memory",
            Clustering = "localhost",
            ClusterId = "metrics-" + Guid.NewGuid().ToString("N"),
            ServiceId = "metrics-" + Guid.NewGuid().ToString("N"),
            SiloPort = Ports.Free(),
            GatewayPort = Ports.Free(),
            HttpPort = Ports.Free(),
            Extra = new Dictionary<string, string>
            {
                ["Dispatch:Metrics:ProjectCountsMaxAge"] = "00:00:00.200",
                ["Dispatch:Metrics:MaxProjects"] = "2",
            },
        });
        _admin = Client(_adminKey);
        _anonymous = Client(null);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _anonymous.Dispose();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task Scrape_AfterWork_ShowsCountersAndProjectGaugesEqualToTheApi()
    {
        var token = (await _admin.PostApiAsync("/v1/workers", new { id = "mina" })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        using var worker = Client(token);
        await CreateProjectAsync("busy", overlap: 1, maxAttempts: 10, tasks: 6);
        await CreateProjectAsync("failing", overlap: 1, maxAttempts: 1, tasks: 3);
        await CreateProjectAsync("small", overlap: 1, maxAttempts: 10, tasks: 1);

        var first = await ClaimAsync(worker, "busy");
        await ClaimAsync(worker, "busy");
        (await worker.PostApiAsync($"/v1/workers/mina/leases/{first}/submit", new { result = new { ok = true } })).Is(HttpStatusCode.OK);
        var doomed = await ClaimAsync(worker, "failing");
        (await worker.PostApiAsync($"/v1/workers/mina/leases/{doomed}/release", new { })).Is(HttpStatusCode.OK);

        var busy = (await _admin.GetApiAsync("/v1/projects/busy")).Is(HttpStatusCode.OK)["counts"]!;
        var failing = (await _admin.GetApiAsync("/v1/projects/failing")).Is(HttpStatusCode.OK)["counts"]!;
        Assert.Equal((5, 1, 0), (Count(busy, "open"), Count(busy, "activeLeases"), Count(busy, "deadLettered")));
        Assert.Equal((2, 0, 1), (Count(failing, "open"), Count(failing, "activeLeases"), Count(failing, "deadLettered")));

        var scrape = await ScrapeUntilAsync(s =>
            s.Value("dispatch_project_tasks_open", ("project", "busy")) == 5
            && s.Value("dispatch_project_tasks_dead_lettered", ("project", "failing")) == 1);
        foreach (var (project, counts) in new[] { ("busy", busy), ("failing", failing) })
        {
            Assert.Equal(Count(counts, "open"), scrape.Value("dispatch_project_tasks_open", ("project", project)));
            Assert.Equal(Count(counts, "activeLeases"), scrape.Value("dispatch_project_leases_active", ("project", project)));
            Assert.Equal(Count(counts, "deadLettered"), scrape.Value("dispatch_project_tasks_dead_lettered", ("project", project)));
        }

        // Two projects of their own at most; the smallest is summed into _other, so the totals still add up.
        Assert.Equal(new HashSet<string> { "busy", "failing", "_other" }, scrape.LabelValues("dispatch_project_tasks_open", "project"));
        Assert.Equal(1, scrape.Value("dispatch_project_tasks_open", ("project", "_other")));

        Assert.Equal(3, scrape.Value("dispatch_leases_granted_total"));
        Assert.Equal(1, scrape.Value("dispatch_submissions_total"));
        Assert.Equal(1, scrape.Value("dispatch_leases_released_total"));
        Assert.Equal(1, scrape.Value("dispatch_tasks_dead_lettered_total"));
        Assert.Equal(10, scrape.Value("dispatch_tasks_imported_total"));
        Assert.Equal(3, scrape.Value("dispatch_claim_duration_milliseconds_count"));
        Assert.NotNull(scrape.Value("dispatch_claim_duration_milliseconds_bucket", ("le", "1")));
        Assert.True(scrape.Value("http_server_request_duration_seconds_count", ("http_route", "/v1/workers/{workerId}/leases/"), ("http_response_status_code", "201")) >= 3, scrape.Text);
        Assert.True(scrape.HasSeriesStartingWith("orleans_"), "Orleans' meter is exported.");
    }

    [Fact]
    public async Task Scrape_NeedsNoKey_IsPrometheusText_AndTheDashboardIsOffByDefault()
    {
        var scrape = await _anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal("text/plain", scrape.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE ", await scrape.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/dashboard/")).StatusCode);
    }

    private HttpClient Client(string? bearer)
    {
        var client = new HttpClient { BaseAddress = _silo.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    private async Task CreateProjectAsync(string id, int overlap, int maxAttempts, int tasks)
    {
        (await _admin.PostApiAsync("/v1/projects", new { id, name = id, overlap, maxAttempts })).Is(HttpStatusCode.Created);
        var payloads = Enumerable.Range(0, tasks).Select(i => new { payload = new { n = i } });
        (await _admin.PostApiAsync($"/v1/projects/{id}/tasks", new { tasks = payloads })).Is(HttpStatusCode.OK);
    }

    private static async Task<string> ClaimAsync(HttpClient worker, string projectId) =>
        (await worker.PostApiAsync("/v1/workers/mina/leases", new { projectId })).Is(HttpStatusCode.Created)["leaseId"]!.GetValue<string>();

    private static long Count(System.Text.Json.Nodes.JsonNode counts, string name) => counts[name]!.GetValue<long>();

    /// <summary>Scrapes until <paramref name="done"/> holds: the gauges are counted in the background after a scrape asks.</summary>
    private async Task<PrometheusText> ScrapeUntilAsync(Func<PrometheusText, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        PrometheusText scrape;
        do
        {
            var answer = await _anonymous.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            scrape = new PrometheusText(await answer.Content.ReadAsStringAsync());
            if (done(scrape))
            {
                return scrape;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        throw new Xunit.Sdk.XunitException("The scrape never showed the expected gauges:\n" + scrape.Text);
    }
}
