using System.Net;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.OpenApi;

/// <summary>
/// A platform that generates its client from the served document must get one that works: Kiota (the local tool of
/// <c>.config/dotnet-tools.json</c>) generates a C# client, <c>samples/KiotaWalkthrough</c> builds with it, and its
/// run of the README's walk-through against this host must succeed.
/// </summary>
public sealed class KiotaClientTests(MemoryApiHost host) : IClassFixture<MemoryApiHost>
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task GeneratedCSharpClient_RunsTheReadmeWalkthrough()
    {
        var root = ExternalCommand.RepositoryRoot();
        var dotnet = ExternalCommand.Dotnet();
        using var anonymous = host.Factory.CreateAnonymousClient();
        var baseUrl = anonymous.BaseAddress!.ToString().TrimEnd('/');
        var document = await anonymous.GetApiAsync("/openapi/v1.json");
        document.Is(HttpStatusCode.OK);

        var folder = Directory.CreateTempSubdirectory("dispatch-kiota-");
        try
        {
            var documentFile = Path.Combine(folder.FullName, "openapi.json");
            await File.WriteAllTextAsync(documentFile, document.Text);
            var client = Path.Combine(folder.FullName, "client");
            var binaries = Path.Combine(folder.FullName, "bin");

            await SucceedsAsync(dotnet, ["tool", "restore"], root);
            // Offline: Kiota would otherwise ask GitHub for a newer version of itself.
            await SucceedsAsync(
                dotnet,
                ["tool", "run", "kiota", "generate", "--language", "CSharp", "--openapi", documentFile, "--output", client,
                 "--class-name", "DispatchClient", "--namespace-name", "Dispatch.Generated", "--exclude-backward-compatible", "--log-level", "Warning"],
                root,
                new Dictionary<string, string> { ["KIOTA_OFFLINE_ENABLED"] = "true" });
            await SucceedsAsync(
                dotnet,
                ["build", Path.Combine(root, "samples", "KiotaWalkthrough", "KiotaWalkthrough.csproj"), $"-p:GeneratedClient={client}", "--output", binaries,
                 "--disable-build-servers", "-nodeReuse:false"],
                root);

            var walkthrough = await SucceedsAsync(dotnet, [Path.Combine(binaries, "Dispatch.KiotaWalkthrough.dll"), baseUrl, host.Factory.AdminKey], root);

            Assert.Contains("ok: a second submit answers 409 lease-not-active", walkthrough.Output);
            Assert.Contains("walk-through done: 2 tasks completed, 2 results", walkthrough.Output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<CommandResult> SucceedsAsync(string fileName, string[] arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await ExternalCommand.RunAsync(fileName, arguments, workingDirectory, StepTimeout, environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}
