using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Http;

/// <summary>
/// What every HTTP test needs: a started host, admin and anonymous clients, unique ids, and one-line helpers that
/// create requesters, workers, projects and tasks through the API and assert that the call succeeded.
/// </summary>
public abstract partial class ApiTestBase : IAsyncLifetime
{
    private readonly List<HttpClient> _clients = [];
    private DispatchApiFactory? _host;
    private HttpClient? _admin;
    private HttpClient? _anonymous;

    protected DispatchApiFactory Host => _host ?? throw new InvalidOperationException("The host is not started yet.");

    protected HttpClient Admin => _admin ?? throw new InvalidOperationException("The host is not started yet.");

    protected HttpClient Anonymous => _anonymous ?? throw new InvalidOperationException("The host is not started yet.");

    /// <summary>The running host these tests talk to; called once per test.</summary>
    protected abstract Task<DispatchApiFactory> GetHostAsync();

    public async Task InitializeAsync()
    {
        _host = await GetHostAsync();
        _admin = Client(_host.AdminKey);
        _anonymous = Client(null);
    }

    public Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <summary>A client with the given bearer secret (none for null), disposed after the test.</summary>
    protected HttpClient Client(string? secret)
    {
        var client = Host.CreateClient(secret);
        _clients.Add(client);
        return client;
    }

    /// <summary>A fresh caller-chosen id, valid and unique across tests sharing a host.</summary>
    protected static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A fresh valid id of exactly <paramref name="length"/> characters.</summary>
    protected static string NewIdOfLength(int length, string prefix = "L")
    {
        var text = prefix + "._-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        return text[..length];
    }

    [GeneratedRegex("^[A-Z0-9]{1,64}$")]
    protected static partial Regex GeneratedIdPattern();

    protected static string Segment(string id) => Uri.EscapeDataString(id);

    protected static string ProjectPath(string projectId) => $"/v1/projects/{Segment(projectId)}";

    protected static string TaskPath(string projectId, string taskId) => $"{ProjectPath(projectId)}/tasks/{Segment(taskId)}";

    protected static string WorkerPath(string workerId) => $"/v1/workers/{Segment(workerId)}";

    protected static string CertificationPath(string workerId, string skill) =>
        $"{WorkerPath(workerId)}/certifications/{Segment(skill)}";

    protected sealed record Requester(string Id, string Name, string ApiKey, HttpClient Client);

    protected sealed record Worker(string Id, string Token, HttpClient Client);

    protected async Task<Requester> CreateRequesterAsync(string? id = null)
    {
        id ??= NewId("req");
        var name = "Requester " + id;
        var body = (await Admin.PostApiAsync("/v1/requesters", new { id, name })).Is(HttpStatusCode.Created);
        var key = body["apiKey"]!.GetValue<string>();
        return new Requester(id, name, key, Client(key));
    }

    protected async Task<Worker> CreateWorkerAsync(string? id = null, object? body = null)
    {
        id ??= NewId("wrk");
        var created = (await Admin.PostApiAsync("/v1/workers", body ?? new { id })).Is(HttpStatusCode.Created);
        var token = created["token"]!.GetValue<string>();
        return new Worker(id, token, Client(token));
    }

    /// <summary>A minimal project body: only <c>id</c> and <c>name</c>.</summary>
    protected static JsonObject ProjectBody(string id) => new() { ["id"] = id, ["name"] = "Project " + id };

    /// <summary>Copies every member of the JSON object <paramref name="members"/> into <paramref name="target"/>.</summary>
    protected static JsonObject With(JsonObject target, string members)
    {
        foreach (var (key, value) in JsonNode.Parse(members)!.AsObject())
        {
            target[key] = value?.DeepClone();
        }

        return target;
    }

    protected static async Task<JsonNode> CreateProjectAsync(HttpClient owner, JsonObject body) =>
        (await owner.PostApiAsync("/v1/projects", body)).Is(HttpStatusCode.Created);

    protected static async Task<string> CreateProjectAsync(HttpClient owner, string? extraMembers = null)
    {
        var id = NewId("prj");
        var body = ProjectBody(id);
        if (extraMembers is not null)
        {
            With(body, extraMembers);
        }

        await CreateProjectAsync(owner, body);
        return id;
    }

    /// <summary>Imports <paramref name="tasks"/> (a JSON array) and returns the <c>200</c> answer.</summary>
    protected static async Task<JsonNode> ImportAsync(HttpClient client, string projectId, string tasks) =>
        (await client.PostApiAsync($"{ProjectPath(projectId)}/tasks", $$$"""{"tasks":{{{tasks}}}}""")).Is(HttpStatusCode.OK);

    protected static async Task<JsonNode> GetProjectAsync(HttpClient client, string projectId) =>
        (await client.GetApiAsync(ProjectPath(projectId))).Is(HttpStatusCode.OK);

    protected static async Task<JsonNode> GetWorkerAsync(HttpClient client, string workerId) =>
        (await client.GetApiAsync(WorkerPath(workerId))).Is(HttpStatusCode.OK);

    /// <summary>
    /// Asserts the project's counts, and that <c>total = open + completed + deadLettered</c>.
    /// </summary>
    protected static async Task AssertCountsAsync(
        HttpClient client, string projectId, int total, int open, int completed = 0, int deadLettered = 0,
        int activeLeases = 0, int submissions = 0)
    {
        var view = await GetProjectAsync(client, projectId);
        AssertCounts(view, total, open, completed, deadLettered, activeLeases, submissions);
    }

    protected static void AssertCounts(
        JsonNode projectView, int total, int open, int completed = 0, int deadLettered = 0, int activeLeases = 0,
        int submissions = 0)
    {
        var counts = projectView["counts"] ?? throw new Xunit.Sdk.XunitException($"No counts in {projectView.ToJsonString()}");
        var actual = new
        {
            total = counts["total"]!.GetValue<int>(),
            open = counts["open"]!.GetValue<int>(),
            completed = counts["completed"]!.GetValue<int>(),
            deadLettered = counts["deadLettered"]!.GetValue<int>(),
            activeLeases = counts["activeLeases"]!.GetValue<int>(),
            submissions = counts["submissions"]!.GetValue<int>(),
        };
        Assert.Equal(new { total, open, completed, deadLettered, activeLeases, submissions }, actual);
        Assert.Equal(actual.total, actual.open + actual.completed + actual.deadLettered);
    }

    /// <summary>A JSON array of <paramref name="count"/> small tasks <c>{"n": i}</c>, with ids when a prefix is given.</summary>
    protected static string SmallTasks(int count, string? idPrefix = null)
    {
        var json = new StringBuilder("[");
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                json.Append(',');
            }

            json.Append(idPrefix is null ? $$$"""{"payload":{"n":{{{i}}}}}""" : $$$"""{"id":"{{{idPrefix}}}-{{{i}}}","payload":{"n":{{{i}}}}}""");
        }

        return json.Append(']').ToString();
    }

    protected static IEnumerable<string> Ids(JsonNode node, string arrayName = "items", string idName = "id") =>
        node[arrayName]!.AsArray().Select(item => item![idName]!.GetValue<string>());
}
