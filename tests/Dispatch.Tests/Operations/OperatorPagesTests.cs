using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Operations;

/// <summary>
/// The Orleans Dashboard, once an operator turns it on, and the metrics, when configured to need it, are served only
/// to holders of the admin key: as a bearer secret, or as the password a browser sends after the basic challenge.
/// </summary>
public sealed class OperatorPagesTests(OperatorPagesHost fixture) : IClassFixture<OperatorPagesHost>
{
    private readonly DispatchApiFactory _host = fixture.Host;

    [Fact]
    public async Task Dashboard_WithoutTheAdminKey_IsRefusedWithABasicChallenge()
    {
        var worker = (await _host.CreateAdminClient().PostApiAsync("/v1/workers", new { id = "w-" + Guid.NewGuid().ToString("N") })).Is(HttpStatusCode.Created);

        foreach (var client in new[] { _host.CreateAnonymousClient(), _host.CreateClient(worker["token"]!.GetValue<string>()), Basic("not-the-key") })
        {
            var page = await client.GetAsync("/dashboard/");
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
            Assert.Contains(page.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Basic");
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/dashboard/ClusterStats")).StatusCode);
        }
    }

    [Fact]
    public async Task Dashboard_WithTheAdminKey_IsServed()
    {
        foreach (var client in new[] { _host.CreateAdminClient(), Basic(_host.AdminKey) })
        {
            var page = await client.GetAsync("/dashboard/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

            var stats = await client.GetAsync("/dashboard/ClusterStats");
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        }
    }

    [Fact]
    public async Task Metrics_ConfiguredToNeedTheAdminKey_RefuseOthers()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _host.CreateAnonymousClient().GetAsync("/metrics")).StatusCode);

        var scrape = await _host.CreateAdminClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("target_info", await scrape.Content.ReadAsStringAsync());
    }

    private HttpClient Basic(string password)
    {
        var client = _host.CreateAnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + password)));
        return client;
    }
}

/// <summary>One host with the dashboard on and the metrics behind the admin key, shared by the tests of the class.</summary>
public sealed class OperatorPagesHost : IAsyncLifetime
{
    public DispatchApiFactory Host { get; } = DispatchApiFactory.ForMemory();

    public Task InitializeAsync()
    {
        Host.Settings["Dispatch:Dashboard:Enabled"] = "true";
        Host.Settings["Dispatch:Metrics:RequireAdminKey"] = "true";
        Host.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => Host.DisposeAsync().AsTask();
}
