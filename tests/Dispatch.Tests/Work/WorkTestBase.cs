using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Work;

/// <summary>
/// Helpers for the worker half of docs/api.md (claim, heartbeat, submit, release) on top of <see cref="ApiTestBase"/>.
/// Every test makes its own requester, workers and projects, so tests sharing a host never see each other's work.
/// Claims always name their project unless a test is about the empty body, because a claim without a project would
/// be routed to any open project on the shared host.
/// </summary>
public abstract class WorkTestBase : ApiTestBase
{
    /// <summary>Slack for comparing a server timestamp with the test's clock (same machine, so small).</summary>
    protected static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(2);

    /// <summary>One granted lease as the claim answered it.</summary>
    protected sealed record Lease(string LeaseId, string ProjectId, string TaskId, DateTimeOffset ExpiresAt, JsonNode Body);

    protected static string LeasesPath(string workerId) => $"{WorkerPath(workerId)}/leases";

    protected static string LeasePath(string workerId, string leaseId, string action) =>
        $"{LeasesPath(workerId)}/{Segment(leaseId)}/{action}";

    protected static object ClaimBody(string? projectId, int? waitSeconds = null) => (projectId, waitSeconds) switch
    {
        (null, null) => new { },
        (null, _) => new { waitSeconds },
        (_, null) => new { projectId },
        _ => new { projectId, waitSeconds },
    };

    protected static Task<ApiResponse> ClaimAsync(HttpClient client, string workerId, string? projectId, int? waitSeconds = null) =>
        client.PostApiAsync(LeasesPath(workerId), ClaimBody(projectId, waitSeconds));

    protected static Task<ApiResponse> ClaimAsync(Worker worker, string? projectId, int? waitSeconds = null) =>
        ClaimAsync(worker.Client, worker.Id, projectId, waitSeconds);

    /// <summary>Claims and asserts <c>201</c> with a well-formed lease of <paramref name="projectId"/>.</summary>
    protected static async Task<Lease> ClaimLeaseAsync(Worker worker, string projectId) =>
        ToLease(await ClaimAsync(worker, projectId), projectId);

    protected static Lease ToLease(ApiResponse response, string? projectId)
    {
        var body = response.Is(HttpStatusCode.Created);
        var leaseId = body["leaseId"]?.GetValue<string>() ?? throw new XunitException($"No leaseId: {response}");
        Assert.True(GeneratedIdPattern().IsMatch(leaseId), $"leaseId '{leaseId}' is not 1..64 uppercase letters and digits: {response}");
        var actualProject = body["projectId"]!.GetValue<string>();
        if (projectId is not null)
        {
            Assert.Equal(projectId, actualProject);
        }

        return new Lease(
            leaseId,
            actualProject,
            body["taskId"]!.GetValue<string>(),
            ApiAssert.IsUtcTimestamp(body["expiresAt"], "expiresAt"),
            body);
    }

    protected static Task<ApiResponse> SubmitAsync(Worker worker, string leaseId, object? result = null) =>
        worker.Client.PostApiAsync(LeasePath(worker.Id, leaseId, "submit"), new { result = result ?? "ok" });

    protected static Task<ApiResponse> SubmitJsonAsync(HttpClient client, string workerId, string leaseId, string resultJson) =>
        client.PostApiAsync(LeasePath(workerId, leaseId, "submit"), $$"""{"result":{{resultJson}}}""");

    protected static Task<ApiResponse> HeartbeatAsync(Worker worker, string leaseId, int? extendSeconds = null) =>
        worker.Client.PostApiAsync(LeasePath(worker.Id, leaseId, "heartbeat"), extendSeconds is null ? new { } : new { extendSeconds });

    protected static Task<ApiResponse> ReleaseAsync(Worker worker, string leaseId, string? reason = null) =>
        worker.Client.PostApiAsync(LeasePath(worker.Id, leaseId, "release"), reason is null ? new { } : new { reason });

    /// <summary>Submits and asserts <c>200 {taskId, taskState}</c>; returns the task state.</summary>
    protected static async Task<string> SubmitOkAsync(Worker worker, Lease lease, object? result = null)
    {
        var response = await SubmitAsync(worker, lease.LeaseId, result);
        var body = response.Is(HttpStatusCode.OK);
        Assert.Equal(lease.TaskId, body["taskId"]?.GetValue<string>());
        var state = body["taskState"]?.GetValue<string>() ?? throw new XunitException($"No taskState: {response}");
        Assert.Contains(state, new[] { "open", "completed", "deadLettered" });
        return state;
    }

    protected static async Task<JsonNode> GetTaskAsync(HttpClient client, string projectId, string taskId) =>
        (await client.GetApiAsync(TaskPath(projectId, taskId))).Is(HttpStatusCode.OK);

    protected static JsonNode LeaseOf(JsonNode taskView, string leaseId) =>
        taskView["leases"]!.AsArray().SingleOrDefault(l => l!["leaseId"]!.GetValue<string>() == leaseId)
        ?? throw new XunitException($"Lease {leaseId} is not in the task view: {taskView.ToJsonString()}");

    protected static string StateOf(JsonNode node) => node["state"]!.GetValue<string>();

    protected static int FailedAttempts(JsonNode taskView) => taskView["failedAttempts"]!.GetValue<int>();

    /// <summary>Creates a project owned by a fresh requester and imports <paramref name="tasks"/> (a JSON array).</summary>
    protected async Task<(Requester Owner, string ProjectId, List<string> TaskIds)> CreateProjectWithTasksAsync(string settings, string tasks)
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, settings);
        var import = await ImportAsync(owner.Client, projectId, tasks);
        var ids = import["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
        return (owner, projectId, ids);
    }

    /// <summary>A decimal read from the JSON number text as the server wrote it (no double rounding).</summary>
    protected static decimal Decimal(JsonNode? node, string what)
    {
        var text = node?.ToJsonString() ?? throw new XunitException($"{what} is missing");
        return decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Asserts two readings of one instant agree to the millisecond: storage may keep microseconds where the first
    /// answer carried 100 ns ticks.
    /// </summary>
    protected static void AssertSameInstant(DateTimeOffset expected, DateTimeOffset actual) =>
        Assert.True((actual - expected).Duration() < TimeSpan.FromMilliseconds(1), $"Expected {expected:O}, got {actual:O}");

    /// <summary>Reads with <paramref name="read"/> every 100 ms until it holds or <paramref name="timeout"/> passes.</summary>
    protected static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> holds, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (holds(value))
            {
                return value;
            }

            if (clock.Elapsed > timeout)
            {
                throw new XunitException($"{what} did not hold within {timeout.TotalSeconds:0.#} s; last: {value}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the test clock is past <paramref name="instant"/> plus <paramref name="extra"/>.</summary>
    protected static async Task WaitUntilAsync(DateTimeOffset instant, TimeSpan extra)
    {
        var wait = instant + extra - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }
}
