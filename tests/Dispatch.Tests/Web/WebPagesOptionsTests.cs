using Dispatch.Silo;

namespace Dispatch.Tests.Web;

/// <summary>What <c>Dispatch:Web:MediaSources</c> accepts: origins only, so nothing else can slip into the policy.</summary>
public sealed class WebPagesOptionsTests
{
    [Theory]
    [InlineData("https://media.example.com")]
    [InlineData("https://media.example.com/")]
    [InlineData("http://127.0.0.1:9000")]
    public void AnOrigin_IsAccepted(string source) =>
        Assert.Empty(new WebPagesOptions { MediaSources = { source } }.Problems());

    [Theory]
    [InlineData("https://media.example.com/bucket")]
    [InlineData("https://media.example.com; script-src *")]
    [InlineData("'unsafe-inline'")]
    [InlineData("*")]
    [InlineData("data:")]
    [InlineData("javascript:alert(1)")]
    public void AnythingElse_IsRefusedWithASentenceNamingIt(string source)
    {
        var problem = Assert.Single(new WebPagesOptions { MediaSources = { source } }.Problems());
        Assert.Contains($"'{source}'", problem, StringComparison.Ordinal);
    }
}
