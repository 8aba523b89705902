using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Work;

namespace Dispatch.Tests.Aggregation;

/// <summary>
/// Aggregation over HTTP (docs/api.md, Aggregation): the majority on task views and the results export, and
/// Dawid-Skene runs started on request whose estimates the export then shows.
/// </summary>
public abstract class AggregationApiTests : WorkTestBase
{
    private static string AggregationPath(string projectId) => $"{ProjectPath(projectId)}/aggregation";

    /// <summary>Each worker in turn claims and answers every task it is offered, with <paramref name="answer"/>(task, worker index).</summary>
    private static async Task AnswerAllAsync(string projectId, IReadOnlyList<Worker> workers, Func<string, int, string> answer)
    {
        for (var w = 0; w < workers.Count; w++)
        {
            while (true)
            {
                var claim = await ClaimAsync(workers[w], projectId);
                if (claim.Status == HttpStatusCode.NoContent)
                {
                    break;
                }

                var lease = ToLease(claim, projectId);
                (await SubmitJsonAsync(workers[w].Client, workers[w].Id, lease.LeaseId, answer(lease.TaskId, w))).Is(HttpStatusCode.OK);
            }
        }
    }

    private async Task<List<Worker>> WorkersAsync(int count)
    {
        var workers = new List<Worker>();
        for (var i = 0; i < count; i++)
        {
            workers.Add(await CreateWorkerAsync());
        }

        return workers;
    }

    private static async Task<Dictionary<string, JsonNode?>> ExportedAggregatesAsync(HttpClient client, string projectId)
    {
        var page = (await client.GetApiAsync($"{ProjectPath(projectId)}/results?limit=1000")).Is(HttpStatusCode.OK);
        return page["items"]!.AsArray().ToDictionary(i => i!["taskId"]!.GetValue<string>(), i => i!["aggregate"]);
    }

    private static (string Value, double Confidence, string Method) Read(JsonNode? aggregate)
    {
        Assert.NotNull(aggregate);
        return (aggregate["value"]!.ToJsonString(), aggregate["confidence"]!.GetValue<double>(), aggregate["method"]!.GetValue<string>());
    }

    [Fact]
    public async Task Majority_OfAField_IsOnTaskViewsAndTheExport_WithTiesToTheFirstToReachTheCount()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"overlap":3,"aggregation":{"method":"majority","field":"label"}}""", SmallTasks(2, "t"));
        var workers = await WorkersAsync(3);

        // Before completion there is no aggregate.
        var claimed = await ClaimLeaseAsync(workers[0], projectId);
        (await SubmitJsonAsync(workers[0].Client, workers[0].Id, claimed.LeaseId, """{"label":"cat","note":"first"}""")).Is(HttpStatusCode.OK);
        var open = await GetTaskAsync(owner.Client, projectId, claimed.TaskId);
        Assert.Equal("open", StateOf(open));
        Assert.True(open.AsObject().ContainsKey("aggregate"), open.ToJsonString());
        Assert.Null(open["aggregate"]);

        // t-0: cat, dog, cat (other fields differ); t-1: a, b, c, a three-way tie that the first answer wins.
        var firstOf = claimed.TaskId;
        await AnswerAllAsync(projectId, workers, (taskId, w) => taskId == "t-0"
            ? (w == 1 ? """{"label":"dog"}""" : $$"""{"note":"{{w}}","label":"cat"}""")
            : $$"""{"label":"{{"abc"[w]}}"}""");

        var t0 = Read((await GetTaskAsync(owner.Client, projectId, "t-0"))["aggregate"]);
        Assert.Equal(("\"cat\"", "majority"), (t0.Value, t0.Method));
        Assert.Equal(2.0 / 3, t0.Confidence, 9);
        var t1 = Read((await GetTaskAsync(owner.Client, projectId, "t-1"))["aggregate"]);
        Assert.Equal((firstOf == "t-1" ? "\"cat\"" : "\"a\"", 1.0 / 3, "majority"), (t1.Value, t1.Confidence, t1.Method));

        var exported = await ExportedAggregatesAsync(owner.Client, projectId);
        Assert.Equal(t0, Read(exported["t-0"]));
        Assert.Equal(t1, Read(exported["t-1"]));
        var listed = (await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/tasks")).Is(HttpStatusCode.OK)["items"]!.AsArray();
        Assert.All(listed, t => Assert.Equal("majority", t!["aggregate"]!["method"]!.GetValue<string>()));
    }

    [Fact]
    public async Task WithoutAggregation_ACompletedTaskHasNone_AndThereIsNothingToRun()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"overlap":1}""", SmallTasks(1, "t"));
        await AnswerAllAsync(projectId, await WorkersAsync(1), (_, _) => "\"x\"");

        var task = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal("completed", StateOf(task));
        Assert.Null(task["aggregate"]);
        Assert.Null((await ExportedAggregatesAsync(owner.Client, projectId))["t-0"]);

        var status = (await owner.Client.GetApiAsync(AggregationPath(projectId))).Is(HttpStatusCode.OK);
        Assert.Equal((null, "idle", 0), (status["method"]?.GetValue<string>(), StateOf(status), status["tasks"]!.GetValue<int>()));
        (await owner.Client.PostApiAsync($"{AggregationPath(projectId)}/run", new { })).IsProblem(HttpStatusCode.Conflict, "conflict");
    }

    [Fact]
    public async Task Runs_AreForTheOwnerOrAdmin_AndOnlyForDawidSkeneProjects()
    {
        var owner = await CreateRequesterAsync();
        var majority = await CreateProjectAsync(owner.Client, """{"aggregation":{"method":"majority"}}""");
        var dawidSkene = await CreateProjectAsync(owner.Client, """{"aggregation":{"method":"dawidSkene"}}""");

        var status = (await owner.Client.GetApiAsync(AggregationPath(majority))).Is(HttpStatusCode.OK);
        Assert.Equal(("majority", "idle"), (status["method"]!.GetValue<string>(), StateOf(status)));
        Assert.Null(status["finishedAt"]);
        (await owner.Client.PostApiAsync($"{AggregationPath(majority)}/run", new { })).IsProblem(HttpStatusCode.Conflict, "conflict");

        var other = await CreateRequesterAsync();
        (await other.Client.GetApiAsync(AggregationPath(dawidSkene))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await other.Client.PostApiAsync($"{AggregationPath(dawidSkene)}/run", new { })).IsProblem(HttpStatusCode.NotFound, "not-found");
        var worker = await CreateWorkerAsync();
        (await worker.Client.PostApiAsync($"{AggregationPath(dawidSkene)}/run", new { })).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await Admin.GetApiAsync(AggregationPath("no-such-project"))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PostApiAsync($"{AggregationPath("no-such-project")}/run", new { })).IsProblem(HttpStatusCode.NotFound, "not-found");

        var empty = (await Admin.PostApiAsync($"{AggregationPath(dawidSkene)}/run", new { })).Is(HttpStatusCode.Accepted);
        Assert.Equal("running", StateOf(empty));
        var done = await EventuallyAsync(() => ReadStatusAsync(owner.Client, dawidSkene), s => StateOf(s) == "done", TimeSpan.FromSeconds(20), "an empty run");
        Assert.Equal(0, done["tasks"]!.GetValue<int>());
    }

    private static async Task<JsonNode> ReadStatusAsync(HttpClient client, string projectId) =>
        (await client.GetApiAsync(AggregationPath(projectId))).Is(HttpStatusCode.OK);

    [Fact]
    public async Task DawidSkeneRun_ReplacesTheMajority_OfTheTasksItCovered()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"overlap":3,"aggregation":{"method":"dawidSkene"}}""", SmallTasks(2, "t"));
        var workers = await WorkersAsync(3);

        var idle = await ReadStatusAsync(owner.Client, projectId);
        Assert.Equal(("dawidSkene", "idle", 0), (idle["method"]!.GetValue<string>(), StateOf(idle), idle["tasks"]!.GetValue<int>()));
        Assert.Null(idle["finishedAt"]);

        // Two workers always say yes, the third agrees on t-0 only.
        Func<string, int, string> answers = (taskId, w) => w < 2 || taskId == "t-0" ? "\"yes\"" : "\"no\"";
        await AnswerAllAsync(projectId, workers, answers);
        Assert.Equal(("\"yes\"", "majority"), ReadValueAndMethod(await ExportAggregateAsync(owner.Client, projectId, "t-1")));

        var started = DateTimeOffset.UtcNow;
        var running = (await owner.Client.PostApiAsync($"{AggregationPath(projectId)}/run", new { })).Is(HttpStatusCode.Accepted);
        Assert.Equal("running", StateOf(running));
        var again = await owner.Client.PostApiAsync($"{AggregationPath(projectId)}/run", new { });
        Assert.Equal("running", StateOf(again.Is(HttpStatusCode.Accepted)));

        var done = await EventuallyAsync(() => ReadStatusAsync(owner.Client, projectId), s => StateOf(s) == "done", TimeSpan.FromSeconds(20), "the run");
        Assert.Equal(2, done["tasks"]!.GetValue<int>());
        var finishedAt = ApiAssert.IsUtcTimestamp(done["finishedAt"], "finishedAt");
        Assert.InRange(finishedAt, started - ClockSlack, DateTimeOffset.UtcNow + ClockSlack);

        var exported = await ExportedAggregatesAsync(owner.Client, projectId);
        foreach (var taskId in new[] { "t-0", "t-1" })
        {
            var estimate = Read(exported[taskId]);
            Assert.Equal(("\"yes\"", "dawidSkene"), (estimate.Value, estimate.Method));
            Assert.InRange(estimate.Confidence, 0.5, 1.0);
            Assert.Equal(estimate, Read((await GetTaskAsync(owner.Client, projectId, taskId))["aggregate"]));
        }

        // A task completed after the run shows its majority until the next run covers it.
        await ImportAsync(owner.Client, projectId, """[{"id":"t-2","payload":{"n":2}}]""");
        await AnswerAllAsync(projectId, workers, answers);
        Assert.Equal(("\"yes\"", "majority"), ReadValueAndMethod(await ExportAggregateAsync(owner.Client, projectId, "t-2")));

        (await Admin.PostApiAsync($"{AggregationPath(projectId)}/run", new { })).Is(HttpStatusCode.Accepted);
        var second = await EventuallyAsync(() => ReadStatusAsync(owner.Client, projectId), s => StateOf(s) == "done" && s["tasks"]!.GetValue<int>() == 3, TimeSpan.FromSeconds(20), "the second run");
        Assert.True(ApiAssert.IsUtcTimestamp(second["finishedAt"], "finishedAt") >= finishedAt);
        Assert.Equal("dawidSkene", Read(await ExportAggregateAsync(owner.Client, projectId, "t-2")).Method);
    }

    private static (string Value, string Method) ReadValueAndMethod(JsonNode? aggregate)
    {
        var (value, _, method) = Read(aggregate);
        return (value, method);
    }

    private static async Task<JsonNode?> ExportAggregateAsync(HttpClient client, string projectId, string taskId) =>
        (await ExportedAggregatesAsync(client, projectId))[taskId];
}

/// <summary>Aggregation on in-memory storage.</summary>
public sealed class AggregationApiTests_Memory(MemoryApiHost host) : AggregationApiTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Aggregation on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AggregationApiTests_Postgres(PostgresServer postgres, PostgresApiHost host) : AggregationApiTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
