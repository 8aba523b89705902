using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// Work survives a host restart on PostgreSQL: submissions and completed tasks are still there, active leases are
/// still active and may be submitted, and the rest of the work can be finished by the new host.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DurabilityTests(PostgresServer postgres)
{
    private const int TaskCount = 50;
    private const int CompletedBefore = 20;
    private const int HeldLeases = 5;

    [Fact]
    public async Task Restart_KeepsSubmissionsAndActiveLeases_AndTheRestCanBeFinished()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var serviceId = "durable-" + Guid.NewGuid().ToString("N");
        var projectId = "prj-" + Guid.NewGuid().ToString("N");
        var doerId = "doer-" + Guid.NewGuid().ToString("N");
        var holderId = "holder-" + Guid.NewGuid().ToString("N");
        var finisherId = "finisher-" + Guid.NewGuid().ToString("N");
        string apiKey, doerToken, holderToken, finisherToken;
        List<JsonNode> resultsBefore;
        List<(string LeaseId, string TaskId, DateTimeOffset ExpiresAt)> held = [];

        await using (var first = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start())
        {
            using var admin = first.CreateAdminClient();
            apiKey = (await admin.PostApiAsync("/v1/requesters", new { id = "req-" + Guid.NewGuid().ToString("N"), name = "Durable" }))
                .Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
            doerToken = await CreateWorkerAsync(admin, doerId);
            holderToken = await CreateWorkerAsync(admin, holderId);
            finisherToken = await CreateWorkerAsync(admin, finisherId);
            using var owner = first.CreateClient(apiKey);
            (await owner.PostApiAsync("/v1/projects", new { id = projectId, name = "Durable work", overlap = 1, leaseSeconds = 30, reward = 0.5m }))
                .Is(HttpStatusCode.Created);
            var tasks = new JsonArray(Enumerable.Range(0, TaskCount).Select(i => (JsonNode)new JsonObject { ["id"] = $"t-{i:00}", ["payload"] = new JsonObject { ["n"] = i } }).ToArray());
            (await owner.PostApiAsync($"/v1/projects/{projectId}/tasks", new JsonObject { ["tasks"] = tasks })).Is(HttpStatusCode.OK);

            using var doer = first.CreateClient(doerToken);
            for (var i = 0; i < CompletedBefore; i++)
            {
                var lease = (await doer.PostApiAsync($"/v1/workers/{doerId}/leases", new { projectId })).Is(HttpStatusCode.Created);
                var submitted = (await doer.PostApiAsync($"/v1/workers/{doerId}/leases/{lease["leaseId"]}/submit", new { result = new { i } }))
                    .Is(HttpStatusCode.OK);
                Assert.Equal("completed", submitted["taskState"]!.GetValue<string>());
            }

            using var holder = first.CreateClient(holderToken);
            for (var i = 0; i < HeldLeases; i++)
            {
                var lease = (await holder.PostApiAsync($"/v1/workers/{holderId}/leases", new { projectId })).Is(HttpStatusCode.Created);
                held.Add((lease["leaseId"]!.GetValue<string>(), lease["taskId"]!.GetValue<string>(), ApiAssert.IsUtcTimestamp(lease["expiresAt"], "expiresAt")));
            }

            AssertCounts(await GetAsync(owner, $"/v1/projects/{projectId}"), TaskCount, TaskCount - CompletedBefore, CompletedBefore, HeldLeases, CompletedBefore);
            resultsBefore = await ExportAsync(owner, projectId);
            Assert.Equal(CompletedBefore, resultsBefore.Count);
        }

        await using var second = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start();
        using var ownerAgain = second.CreateClient(apiKey);

        // The submissions and completed tasks are there, unchanged and in the same order.
        AssertCounts(await GetAsync(ownerAgain, $"/v1/projects/{projectId}"), TaskCount, TaskCount - CompletedBefore, CompletedBefore, HeldLeases, CompletedBefore);
        var resultsAfter = await ExportAsync(ownerAgain, projectId);
        Assert.Equal(resultsBefore.Select(r => r.ToJsonString()), resultsAfter.Select(r => r.ToJsonString()));
        Assert.All(resultsAfter, r => Assert.Equal(doerId, Assert.Single(r["submissions"]!.AsArray())!["workerId"]!.GetValue<string>()));

        // The held leases are still active, listed, and can be submitted.
        using var holderAgain = second.CreateClient(holderToken);
        var listed = (await holderAgain.GetApiAsync($"/v1/workers/{holderId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray();
        Assert.Equal(held.Select(h => h.LeaseId).Order(), listed.Select(l => l!["leaseId"]!.GetValue<string>()).Order());
        Assert.Equal(HeldLeases, (await GetAsync(holderAgain, $"/v1/workers/{holderId}"))["activeLeases"]!.GetValue<int>());
        foreach (var (leaseId, taskId, expiresAt) in held)
        {
            Assert.True(DateTimeOffset.UtcNow < expiresAt, $"the restart took until after the lease's expiresAt {expiresAt:O}");
            var view = await GetAsync(ownerAgain, $"/v1/projects/{projectId}/tasks/{taskId}");
            var lease = view["leases"]!.AsArray().Single(l => l!["leaseId"]!.GetValue<string>() == leaseId)!;
            Assert.Equal("active", lease["state"]!.GetValue<string>());
            // The same instant; PostgreSQL keeps microseconds, so the 100 ns digit of the claim's answer may be gone.
            var storedExpiry = ApiAssert.IsUtcTimestamp(lease["expiresAt"], "expiresAt");
            Assert.True((storedExpiry - expiresAt).Duration() < TimeSpan.FromMilliseconds(1), $"expiresAt {expiresAt:O} became {storedExpiry:O}");
            var submitted = (await holderAgain.PostApiAsync($"/v1/workers/{holderId}/leases/{leaseId}/submit", new { result = "after restart" }))
                .Is(HttpStatusCode.OK);
            Assert.Equal(taskId, submitted["taskId"]!.GetValue<string>());
            Assert.Equal("completed", submitted["taskState"]!.GetValue<string>());
            (await holderAgain.PostApiAsync($"/v1/workers/{holderId}/leases/{leaseId}/submit", new { result = "again" }))
                .IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        }

        // The doer's stats and earnings survive too.
        using var doerAgain = second.CreateClient(doerToken);
        var doerView = await GetAsync(doerAgain, $"/v1/workers/{doerId}");
        Assert.Equal(CompletedBefore, doerView["stats"]!["submitted"]!.GetValue<int>());
        Assert.Equal(CompletedBefore * 0.5m, decimal.Parse(doerView["earnings"]!["total"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture));

        // The rest can be claimed and completed.
        using var finisher = second.CreateClient(finisherToken);
        var finished = new HashSet<string>();
        while (true)
        {
            var claim = await finisher.PostApiAsync($"/v1/workers/{finisherId}/leases", new { projectId });
            if (claim.Status == HttpStatusCode.NoContent)
            {
                break;
            }

            var lease = claim.Is(HttpStatusCode.Created);
            Assert.True(finished.Add(lease["taskId"]!.GetValue<string>()), $"task leased twice: {claim}");
            (await finisher.PostApiAsync($"/v1/workers/{finisherId}/leases/{lease["leaseId"]}/submit", new { result = "finished" })).Is(HttpStatusCode.OK);
            Assert.True(finished.Count <= TaskCount, "more leases than tasks");
        }

        Assert.Equal(TaskCount - CompletedBefore - HeldLeases, finished.Count);
        AssertCounts(await GetAsync(ownerAgain, $"/v1/projects/{projectId}"), TaskCount, 0, TaskCount, 0, TaskCount);
        var all = await ExportAsync(ownerAgain, projectId);
        Assert.Equal(TaskCount, all.Select(r => r["taskId"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(resultsBefore.Select(r => r.ToJsonString()), all.Take(CompletedBefore).Select(r => r.ToJsonString()));
    }

    private static async Task<string> CreateWorkerAsync(HttpClient admin, string id) =>
        (await admin.PostApiAsync("/v1/workers", new { id })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();

    private static async Task<JsonNode> GetAsync(HttpClient client, string path) => (await client.GetApiAsync(path)).Is(HttpStatusCode.OK);

    /// <summary>Every results page, 7 at a time so that the cursor is used.</summary>
    private static async Task<List<JsonNode>> ExportAsync(HttpClient owner, string projectId)
    {
        var items = new List<JsonNode>();
        string? after = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var path = $"/v1/projects/{projectId}/results?limit=7" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await GetAsync(owner, path);
            items.AddRange(page["items"]!.AsArray().Select(i => i!.DeepClone()));
            after = page["next"]?.GetValue<string>();
            if (after is null)
            {
                return items;
            }
        }

        throw new Xunit.Sdk.XunitException("the results export did not end within 100 pages");
    }

    private static void AssertCounts(JsonNode project, int total, int open, int completed, int activeLeases, int submissions)
    {
        var c = project["counts"]!;
        Assert.Equal(
            new { total, open, completed, deadLettered = 0, activeLeases, submissions },
            new
            {
                total = c["total"]!.GetValue<int>(),
                open = c["open"]!.GetValue<int>(),
                completed = c["completed"]!.GetValue<int>(),
                deadLettered = c["deadLettered"]!.GetValue<int>(),
                activeLeases = c["activeLeases"]!.GetValue<int>(),
                submissions = c["submissions"]!.GetValue<int>(),
            });
    }
}
