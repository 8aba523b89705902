using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Operations;

/// <summary>
/// What an operator's Prometheus reads from <c>GET /metrics</c> of a real host after some work: the crowd's counters,
/// per-project gauges that agree with the API, a bounded number of project series, and ASP.NET Core's and Orleans'
/// meters.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsEndpointTests : ApiTestBase, IAsyncLifetime
{
    private readonly DispatchApiFactory _factory = DispatchApiFactory.ForMemory();

    protected override Task<DispatchApiFactory> GetHostAsync()
    {
        _factory.Settings["Dispatch:Metrics:ProjectCountsMaxAge"] = "00:00:00.200";
        _factory.Settings["Dispatch:Metrics:MaxProjects"] = "2";
        return Task.FromResult(_factory.Start());
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Scrape_AfterWork_ShowsCountersAndProjectGaugesEqualToTheApi()
    {
        var worker = await CreateWorkerAsync();
        var busy = await CreateProjectAsync(Admin, """{"overlap":1}""");
        await ImportAsync(Admin, busy, SmallTasks(6));
        var failing = await CreateProjectAsync(Admin, """{"overlap":1,"maxAttempts":1}""");
        await ImportAsync(Admin, failing, SmallTasks(3));
        var small = await CreateProjectAsync(Admin);
        await ImportAsync(Admin, small, SmallTasks(1));

        var first = await ClaimAsync(worker, busy);
        await ClaimAsync(worker, busy);
        (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/leases/{first}/submit", new { result = new { ok = true } })).Is(HttpStatusCode.OK);
        var doomed = await ClaimAsync(worker, failing);
        (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/leases/{doomed}/release", new { })).Is(HttpStatusCode.OK);

        await AssertCountsAsync(Admin, busy, total: 6, open: 5, completed: 1, activeLeases: 1, submissions: 1);
        await AssertCountsAsync(Admin, failing, total: 3, open: 2, deadLettered: 1);
        var scrape = await ScrapeUntilAsync(s =>
            s.Value("dispatch_project_tasks_open", ("project", busy)) == 5
            && s.Value("dispatch_project_tasks_dead_lettered", ("project", failing)) == 1);

        Assert.Equal(5, scrape.Value("dispatch_project_tasks_open", ("project", busy)));
        Assert.Equal(1, scrape.Value("dispatch_project_leases_active", ("project", busy)));
        Assert.Equal(0, scrape.Value("dispatch_project_tasks_dead_lettered", ("project", busy)));
        Assert.Equal(2, scrape.Value("dispatch_project_tasks_open", ("project", failing)));
        Assert.Equal(1, scrape.Value("dispatch_project_tasks_dead_lettered", ("project", failing)));
        Assert.Equal(0, scrape.Value("dispatch_project_leases_active", ("project", failing)));

        // Two projects of their own at most; the smallest is summed with any others, so totals still add up.
        Assert.Equal(new HashSet<string> { busy, failing, "_other" }, scrape.LabelValues("dispatch_project_tasks_open", "project"));
        Assert.True(scrape.Value("dispatch_project_tasks_open", ("project", "_other")) >= 1);

        Assert.True(scrape.Value("dispatch_leases_granted_total") >= 3, scrape.Text);
        Assert.True(scrape.Value("dispatch_submissions_total") >= 1, scrape.Text);
        Assert.True(scrape.Value("dispatch_leases_released_total") >= 1, scrape.Text);
        Assert.True(scrape.Value("dispatch_tasks_dead_lettered_total") >= 1, scrape.Text);
        Assert.True(scrape.Value("dispatch_tasks_imported_total") >= 10, scrape.Text);
        Assert.True(scrape.Value("dispatch_claim_duration_milliseconds_count") >= 3, scrape.Text);
        Assert.True(scrape.HasSeriesStartingWith("http_server_request_duration_seconds"), "ASP.NET Core's request duration is exported.");
        Assert.True(scrape.HasSeriesStartingWith("orleans_"), "Orleans' meter is exported.");
    }

    [Fact]
    public async Task Scrape_NeedsNoKey_AndTheDashboardIsOffByDefault()
    {
        var scrape = await Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal("text/plain", scrape.Content.Headers.ContentType?.MediaType);

        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync("/dashboard/")).StatusCode);
    }

    private async Task<string> ClaimAsync(Worker worker, string projectId)
    {
        var lease = (await worker.Client.PostApiAsync($"{WorkerPath(worker.Id)}/leases", new { projectId })).Is(HttpStatusCode.Created);
        return lease["leaseId"]!.GetValue<string>();
    }

    /// <summary>Scrapes until <paramref name="done"/> holds: gauges are counted in the background after a scrape asks.</summary>
    private async Task<PrometheusText> ScrapeUntilAsync(Func<PrometheusText, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        PrometheusText scrape;
        do
        {
            var answer = await Anonymous.GetAsync("/metrics");
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
