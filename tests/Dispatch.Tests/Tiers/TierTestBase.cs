using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Work;
using Xunit.Sdk;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// Helpers for skill tiers, golden tasks and exams (docs/api.md: certifications, <c>requirements</c>, <c>quality</c>,
/// <c>exam</c>, claims without <c>projectId</c>).
/// </summary>
/// <remarks>
/// A claim without a project is routed over every open project of the host, so these tests cannot share a host
/// with leftover open work. Tests of one class run one after another on the class's host; each test starts by
/// closing every project still open or paused on it (normally none: each test closes everything when it ends)
/// and, because routing reads a per-silo copy of the catalogue refreshed at most once a second, waits until 1.5 s
/// have passed since the last such close before it begins. Skills are unique per test, so certified work of one
/// test is never routed to another test's workers anyway.
/// </remarks>
public abstract class TierTestBase : WorkTestBase, IAsyncLifetime
{
    /// <summary>How long routing may take to see a created, paused, resumed or closed project (1 s, plus slack).</summary>
    protected static readonly TimeSpan RoutingDelay = TimeSpan.FromSeconds(1.5);

    private static readonly ConcurrentDictionary<string, DateTimeOffset> LastClosedAt = new(StringComparer.Ordinal);

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        if (await CloseEverythingOpenAsync() > 0)
        {
            LastClosedAt[Host.ServiceId] = DateTimeOffset.UtcNow;
        }

        if (LastClosedAt.TryGetValue(Host.ServiceId, out var closedAt))
        {
            await WaitUntilAsync(closedAt, RoutingDelay);
        }
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        try
        {
            if (await CloseEverythingOpenAsync() > 0)
            {
                LastClosedAt[Host.ServiceId] = DateTimeOffset.UtcNow;
            }
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <summary>Closes every open or paused project of the host (admin sees all); returns how many.</summary>
    private async Task<int> CloseEverythingOpenAsync()
    {
        var all = (await Admin.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK);
        var open = all["items"]!.AsArray()
            .Where(p => p!["status"]!.GetValue<string>() is "open" or "paused")
            .Select(p => p!["id"]!.GetValue<string>())
            .ToList();
        await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
            (await Admin.PatchApiAsync(ProjectPath(id), new { status = "closed" })).Is(HttpStatusCode.OK));
        return open.Count;
    }

    /// <summary>Waits long enough for routing to see the projects created or changed just before.</summary>
    protected static Task RoutingSeesChangesAsync() => Task.Delay(RoutingDelay);

    protected static string NewSkill() => NewId("skill");

    /// <summary>A decimal as JSON number text.</summary>
    protected static string Number(decimal value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A JSON array of requirements <c>[{skill, minLevel}]</c>.</summary>
    protected static string Requires(params (string Skill, int MinLevel)[] requirements) =>
        "[" + string.Join(",", requirements.Select(r => $$"""{"skill":"{{r.Skill}}","minLevel":{{r.MinLevel}}}""")) + "]";

    /// <summary>A JSON array of tasks with the given ids, task priorities and (when not null) golden answers (JSON).</summary>
    protected static string Tasks(params (string Id, int Priority, string? Golden)[] tasks)
    {
        var json = new StringBuilder("[");
        foreach (var (id, priority, golden) in tasks)
        {
            if (json.Length > 1)
            {
                json.Append(',');
            }

            json.Append($$"""{"id":"{{id}}","priority":{{priority}},"payload":{"task":"{{id}}"}""");
            if (golden is not null)
            {
                json.Append($$""","goldenAnswer":{{golden}}""");
            }

            json.Append('}');
        }

        return json.Append(']').ToString();
    }

    /// <summary>The golden answer this suite gives task <paramref name="taskId"/>.</summary>
    protected static string GoldenFor(string taskId) => $$"""{"label":"right-{{taskId}}"}""";

    /// <summary><paramref name="count"/> golden tasks <c>{prefix}-{i}</c> whose answers are <see cref="GoldenFor"/>.</summary>
    protected static string GoldenTasks(string prefix, int count, int priority = 0) =>
        Tasks([.. Enumerable.Range(0, count).Select(i => ($"{prefix}-{i}", priority, (string?)GoldenFor($"{prefix}-{i}")))]);

    /// <summary>Creates a project owned by <paramref name="owner"/> with the given members and tasks; returns its id.</summary>
    protected static async Task<string> ProjectWithTasksAsync(Requester owner, string settings, string? tasks)
    {
        var projectId = await CreateProjectAsync(owner.Client, settings);
        if (tasks is not null)
        {
            await ImportAsync(owner.Client, projectId, tasks);
        }

        return projectId;
    }

    protected async Task<Worker> WorkerAsync(int maxActiveLeases = 5, params (string Skill, int Level)[] certifications)
    {
        var id = NewId("wrk");
        var worker = await CreateWorkerAsync(id, new { id, maxActiveLeases });
        foreach (var (skill, level) in certifications)
        {
            await CertifyAsync(worker.Id, skill, level);
        }

        return worker;
    }

    /// <summary>Admin <c>PUT</c> of a certification; asserts <c>200</c> and returns the worker view.</summary>
    protected async Task<JsonNode> CertifyAsync(string workerId, string skill, int level) =>
        (await Admin.PutApiAsync(CertificationPath(workerId, skill), new { level })).Is(HttpStatusCode.OK);

    /// <summary>The worker's certification for <paramref name="skill"/> as the admin sees it, or null.</summary>
    protected async Task<JsonNode?> CertificationAsync(string workerId, string skill)
    {
        var view = await GetWorkerAsync(Admin, workerId);
        return view["certifications"]!.AsArray().SingleOrDefault(c => c!["skill"]!.GetValue<string>() == skill);
    }

    protected static Task<ApiResponse> RoutedClaimAsync(Worker worker, int? waitSeconds = null) =>
        ClaimAsync(worker, projectId: null, waitSeconds);

    /// <summary>A claim without a project; asserts <c>201</c>.</summary>
    protected static async Task<Lease> RoutedLeaseAsync(Worker worker) => ToLease(await RoutedClaimAsync(worker), projectId: null);

    /// <summary>A claim without a project; asserts <c>204</c>, quoting the answer and <paramref name="because"/>.</summary>
    protected static async Task AssertNoRoutedWorkAsync(Worker worker, string because, int? waitSeconds = null)
    {
        var response = await RoutedClaimAsync(worker, waitSeconds);
        if (response.Status != HttpStatusCode.NoContent)
        {
            throw new XunitException($"Expected 204 ({because}), got: {response}");
        }
    }

    /// <summary>Asserts a refused named claim: <c>403 forbidden</c>.</summary>
    protected static async Task AssertForbiddenClaimAsync(Worker worker, string projectId) =>
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Forbidden, "forbidden");

    /// <summary>Submits the raw JSON <paramref name="resultJson"/> and asserts <c>200</c>.</summary>
    protected static async Task SubmitResultAsync(Worker worker, Lease lease, string resultJson)
    {
        var body = (await SubmitJsonAsync(worker.Client, worker.Id, lease.LeaseId, resultJson)).Is(HttpStatusCode.OK);
        Assert.Equal(lease.TaskId, body["taskId"]?.GetValue<string>());
    }

    /// <summary>Answers a golden task of this suite right (<see cref="GoldenFor"/>) or wrong.</summary>
    protected static Task AnswerAsync(Worker worker, Lease lease, bool correctly) =>
        SubmitResultAsync(worker, lease, correctly ? GoldenFor(lease.TaskId) : """{"label":"wrong"}""");

    protected static (long Submitted, long GoldenSeen, long GoldenCorrect, double? Accuracy) Stats(JsonNode workerView)
    {
        var stats = workerView["stats"] ?? throw new XunitException($"No stats: {workerView.ToJsonString()}");
        Assert.True(stats.AsObject().ContainsKey("accuracy"), $"stats has no accuracy member: {workerView.ToJsonString()}");
        return (
            stats["submitted"]!.GetValue<long>(),
            stats["goldenSeen"]!.GetValue<long>(),
            stats["goldenCorrect"]!.GetValue<long>(),
            stats["accuracy"]?.GetValue<double>());
    }

    protected static decimal Earnings(JsonNode workerView) => Decimal(workerView["earnings"]?["total"], "earnings.total");

    /// <summary>Opens a project's event stream as <paramref name="client"/>; asserts it opened.</summary>
    protected static async Task<SseReader> EventsAsync(HttpClient client, string projectId)
    {
        var (reader, refusal) = await SseReader.OpenAsync(client, $"{ProjectPath(projectId)}/events");
        Assert.True(reader is not null, $"could not open the events of {projectId}: {refusal}");
        return reader;
    }
}
