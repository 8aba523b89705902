using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Operations;

/// <summary>
/// The Orleans Dashboard, once an operator turns it on, and the metrics, when configured to need it, are served only
/// to holders of the admin key: as a bearer secret, or as the password a browser sends after the basic challenge.
/// </summary>
public sealed class OperatorPagesTests : IAsyncLifetime
{
    private readonly DispatchApiFactory _host = DispatchApiFactory.ForMemory();

    public Task InitializeAsync()
    {
        _host.Settings["Dispatch:Dashboard:Enabled"] = "true";
        _host.Settings["Dispatch:Metrics:RequireAdminKey"] = "true";
        _host.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task Dashboard_WithoutTheAdminKey_IsRefusedWithABasicChallenge()
    {
        var worker = (await _host.CreateAdminClient().PostApiAsync("/v1/workers", new { id = "w1" })).Is(HttpStatusCode.Created);

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
