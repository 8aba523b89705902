using System.Net;
using System.Security.Cryptography;
using Dispatch.Silo;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Web;

/// <summary>How the host serves the pages: on by default, under their Content Security Policy, off on request.</summary>
public sealed class WebPagesHostingTests(WebPagesHostingTests.MediaHost host, WebPagesHostingTests.PagesOffHost pagesOff)
    : IClassFixture<WebPagesHostingTests.MediaHost>, IClassFixture<WebPagesHostingTests.PagesOffHost>
{
    [Theory]
    [InlineData("/workspace")]
    [InlineData("/console")]
    public async Task Page_IsServedAsHtml_UnderAPolicyThatKeepsScriptsAndCallsOnThisHost(string path)
    {
        using var client = host.Factory.CreateAnonymousClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        var directives = policy.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d);
        Assert.Equal("default-src 'self'", directives["default-src"]);
        Assert.Equal("script-src 'self'", directives["script-src"]);
        Assert.Equal("connect-src 'self'", directives["connect-src"]);
        Assert.Equal("frame-ancestors 'none'", directives["frame-ancestors"]);
        // Images and media of a requester's own origin, as configured, and nothing else from outside.
        Assert.Equal("img-src 'self' data: https://media.example.com", directives["img-src"]);
        Assert.Equal("media-src 'self' https://media.example.com", directives["media-src"]);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Editor_IsServedFromThisHost_ByteForByteAsVendored_AndCachedForGood()
    {
        using var client = host.Factory.CreateAnonymousClient();

        using var script = await client.GetAsync("/web/lib/label-studio/1.4.0/main.js");
        using var style = await client.GetAsync("/web/lib/label-studio/1.4.0/main.css");

        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal("231219b8ed42826185320d13d907615cc1e3f16755b6a5af62117611453a39ef", Convert.ToHexStringLower(SHA256.HashData(await script.Content.ReadAsByteArrayAsync())));
        Assert.Equal("818ed51653bd39069e2fe0204fb84aa7095a5e47db27cae8fad7490bf59c88a8", Convert.ToHexStringLower(SHA256.HashData(await style.Content.ReadAsByteArrayAsync())));
        Assert.Contains("immutable", script.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Editor_TravelsCompressed_ToABrowserThatAsks()
    {
        using var client = host.Factory.CreateAnonymousClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/web/lib/label-studio/1.4.0/main.js");
        request.Headers.AcceptEncoding.ParseAdd("gzip");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        var compressed = await response.Content.ReadAsByteArrayAsync();
        Assert.True(compressed.Length < 1_000_000, $"{compressed.Length} bytes compressed");
        await using var unzipped = new System.IO.Compression.GZipStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress);
        Assert.Equal("231219b8ed42826185320d13d907615cc1e3f16755b6a5af62117611453a39ef", Convert.ToHexStringLower(await SHA256.HashDataAsync(unzipped)));
    }

    [Theory]
    [InlineData("/workspace")]
    [InlineData("/console")]
    [InlineData("/web/js/workspace.js")]
    [InlineData("/web/lib/label-studio/1.4.0/main.js")]
    public async Task Pages_AreNotServed_WhenTurnedOff(string path)
    {
        using var client = pagesOff.Factory.CreateAnonymousClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>A host whose pages may show media from one outside origin.</summary>
    public sealed class MediaHost() : MemoryApiHost(new Dictionary<string, string> { ["Dispatch:Web:MediaSources:0"] = "https://media.example.com" });

    /// <summary>A host with <c>Dispatch:Web:Enabled=false</c>.</summary>
    public sealed class PagesOffHost() : MemoryApiHost(new Dictionary<string, string> { ["Dispatch:Web:Enabled"] = "false" });
}
