using System.Net;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.OpenApi;

/// <summary>
/// The readable API reference at <c>/scalar/</c> needs no key; it is on by default in Development, off by default
/// elsewhere, and <c>Dispatch:ApiReference:Enabled</c> decides when set.
/// </summary>
public sealed class ApiReferenceTests
{
    [Fact]
    public async Task Development_ServesTheReferencePage_WithoutKey_AndItsScriptFromThisHost()
    {
        var (page, script) = await GetReferencePageAsync("Development");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("text/html", page.MediaType);
        Assert.Contains("openapi/v1.json", page.Text);
        Assert.Contains("src=\"scalar.js\"", page.Text);
        Assert.Equal(HttpStatusCode.OK, script.Status);
    }

    [Fact]
    public async Task Production_HasNoReferencePage_ByDefault()
    {
        var (page, _) = await GetReferencePageAsync("Production");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
    }

    [Fact]
    public async Task Production_ServesTheReferencePage_WhenConfigured()
    {
        var (page, _) = await GetReferencePageAsync("Production", enabled: "true");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("openapi/v1.json", page.Text);
    }

    [Fact]
    public async Task Development_HasNoReferencePage_WhenTurnedOff()
    {
        var (page, _) = await GetReferencePageAsync("Development", enabled: "false");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
    }

    /// <summary>The page, and the script it loads (a page that needs a CDN would not work on a closed network).</summary>
    private static async Task<(ApiResponse Page, ApiResponse Script)> GetReferencePageAsync(string environment, string? enabled = null)
    {
        await using var factory = DispatchApiFactory.ForMemory();
        factory.Settings["environment"] = environment;
        if (enabled is not null)
        {
            factory.Settings["Dispatch:ApiReference:Enabled"] = enabled;
        }

        factory.Start();
        using var anonymous = factory.CreateAnonymousClient();
        return (await anonymous.GetApiAsync("/scalar/"), await anonymous.GetApiAsync("/scalar/scalar.js"));
    }
}
