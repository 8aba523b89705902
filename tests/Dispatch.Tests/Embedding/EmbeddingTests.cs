using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Api;
using Dispatch.Grains;
using Dispatch.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace Dispatch.Tests.Embedding;

/// <summary>
/// A platform's own ASP.NET Core host, built here without the Silo project: the silo extension and
/// MapDispatchApi() are all it adds, and the whole work cycle runs over HTTP.
/// </summary>
public sealed class EmbeddingTests
{
    private const string AdminKey = "platform-admin-key-0123456789";

    [Fact]
    public async Task PlatformHost_WithAddDispatchAndMapDispatchApi_ServesTheWholeCycle()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Dispatch:AdminKey"] = AdminKey;
        builder.WebHost.UseUrls($"http://127.0.0.1:{Ports.Free()}");
        var (siloPort, gatewayPort) = (Ports.Free(), Ports.Free());
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, serviceId: $"embed-{Guid.NewGuid():N}", clusterId: $"embed-{Guid.NewGuid():N}")
            .AddDispatch());

        await using var app = builder.Build();
        app.MapGet("/platform/hello", () => "the platform's own endpoint");
        app.MapDispatchApi();
        await app.StartAsync();

        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);

        Assert.Equal("the platform's own endpoint", await http.GetStringAsync("/platform/hello"));
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/v1/workers", new { id = "w1" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/v1/projects", new { id = "p1" })).StatusCode);
        var import = await http.PostAsJsonAsync("/v1/projects/p1/tasks", new { tasks = new[] { new { id = "t1", payload = new { n = 1 } } } });
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);

        var claim = await http.PostAsJsonAsync("/v1/workers/w1/leases", new { projectId = "p1" });
        Assert.Equal(HttpStatusCode.Created, claim.StatusCode);
        var leaseId = (await claim.Content.ReadFromJsonAsync<JsonObject>())!["leaseId"]!.GetValue<string>();

        var submit = await http.PostAsJsonAsync($"/v1/workers/w1/leases/{leaseId}/submit", new { result = "cat" });
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
        Assert.Equal("completed", (await submit.Content.ReadFromJsonAsync<JsonObject>())!["taskState"]!.GetValue<string>());

        var project = await http.GetFromJsonAsync<JsonObject>("/v1/projects/p1");
        Assert.Equal(1, project!["counts"]!["completed"]!.GetValue<int>());

        await app.StopAsync();
    }

    [Fact]
    public async Task PlatformHost_WithoutAdminKey_RefusesToStartWithASentence()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        var (siloPort, gatewayPort) = (Ports.Free(), Ports.Free());
        builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort).AddDispatch());
        await using var app = builder.Build();

        var refusal = Assert.ThrowsAny<Exception>(() => app.MapDispatchApi());

        Assert.Contains("Dispatch:AdminKey is not set", refusal.Message);
    }

    [Fact]
    public void PlatformHost_WithASiloViewLimitOfFiveDays_RefusesToStartWithASentence()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Dispatch:SiloViews:RoutingTableMaxAge"] = "5";

        var refusal = Assert.ThrowsAny<Exception>(() =>
        {
            builder.UseOrleans(silo => silo.UseLocalhostClustering(Ports.Free(), Ports.Free()).AddDispatch());
            using var app = builder.Build();
        });

        Assert.Contains("Dispatch:SiloViews:RoutingTableMaxAge must be more than zero and at most 01:00:00", refusal.Message);
    }
}
