using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.OpenApi;

/// <summary>
/// Redocly's recommended rules are what API tooling expects of a document; the served one must pass them with no
/// error. npx fetches the pinned CLI on first use, so the machine needs Node.js and npm, nothing else.
/// </summary>
public sealed class RedoclyLintTests(MemoryApiHost host) : IClassFixture<MemoryApiHost>
{
    private const string Cli = "@redocly/cli@2.77.0";

    [Fact]
    public async Task ServedDocument_PassesRedoclyRecommendedRules_WithNoError()
    {
        using var anonymous = host.Factory.CreateAnonymousClient();
        var document = await anonymous.GetApiAsync("/openapi/v1.json");
        document.Is(HttpStatusCode.OK);
        var folder = Directory.CreateTempSubdirectory("dispatch-redocly-");
        try
        {
            var file = Path.Combine(folder.FullName, "openapi.json");
            await File.WriteAllTextAsync(file, document.Text);

            var lint = await ExternalCommand.RunAsync(
                "npx",
                ["--yes", Cli, "lint", file, "--extends=recommended", "--format=json"],
                folder.FullName,
                TimeSpan.FromMinutes(5),
                new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" });

            var json = lint.Output[lint.Output.IndexOf('{', StringComparison.Ordinal)..];
            var totals = JsonNode.Parse(json)!["totals"] ?? throw new Xunit.Sdk.XunitException($"No totals in Redocly's answer: {lint}");
            Assert.True(totals["errors"]!.GetValue<int>() == 0, $"Redocly reports errors: {lint}");
            Assert.Equal(0, lint.ExitCode);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
