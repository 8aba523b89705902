using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Dispatch.Api;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.OpenApi;

/// <summary>
/// <c>docs/api.md</c> is the reference users read; it must keep up with the server: a section for every operation the
/// server has, and every error type the server can answer in its table of errors.
/// </summary>
public sealed class ApiDocsTests(MemoryApiHost host) : IClassFixture<MemoryApiHost>
{
    private static readonly string Reference = File.ReadAllText(Path.Combine(ExternalCommand.RepositoryRoot(), "docs", "api.md"));

    [Fact]
    public async Task Reference_HasASectionForEveryServedOperation()
    {
        using var anonymous = host.Factory.CreateAnonymousClient();
        var document = (await anonymous.GetApiAsync("/openapi/v1.json")).Is(HttpStatusCode.OK);

        var missing =
            from path in document["paths"]!.AsObject()
            from operation in path.Value!.AsObject()
            let call = $"{operation.Key.ToUpperInvariant()} {path.Key}"
            where !Regex.IsMatch(Reference, $@"^###.*`{Regex.Escape(call)}[`?]", RegexOptions.Multiline)
            select call;
        Assert.Empty(missing);
    }

    [Fact]
    public void Reference_ListsEveryErrorTypeTheServerAnswers_WithItsStatus()
    {
        var types = typeof(ProblemType).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (ProblemType)f.GetValue(null)!);

        var missing = types.Where(t => !Reference.Contains($"| `{t.Name}` | {t.Status} |", StringComparison.Ordinal)).Select(t => t.Name);
        Assert.Empty(missing);
    }
}
