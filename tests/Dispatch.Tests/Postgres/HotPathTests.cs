using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// The PostgreSQL hot path takes shortcuts that must never show: a claimed task starts from a copy its shard read in
/// a page (which may be older than storage), and completions commit side by side without a lock (so one that commits
/// later may belong before one already committed). Each test builds the awkward moment by hand.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HotPathTests(PostgresServer postgres)
{
    [Fact]
    public async Task ResultsExport_NeverSkipsACompletionThatCommitsAfterALaterOneWasListed()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var host = DispatchApiFactory.ForPostgres(connectionString).Start();
        var (owner, worker) = await SetUpAsync(host, overlap: 1, "early", "late", "slow");
        var projectId = worker.ProjectId;

        // "slow" is completed by a transaction that started after "early" was completed and before "late" was, and
        // commits last.
        await CompleteAsync(worker, "early");
        await using var slow = await Sql.OpenAsync(connectionString);
        await using var transaction = await slow.BeginTransactionAsync();
        await using (var started = new Npgsql.NpgsqlCommand("SELECT now()", slow, transaction))
        {
            await started.ExecuteScalarAsync();
        }

        await CompleteAsync(worker, "late");
        var firstRead = await ResultsAsync(owner, projectId, after: null);
        Assert.Equal(["early"], firstRead.TaskIds);

        await using (var complete = new Npgsql.NpgsqlCommand(
            """
            UPDATE dispatch_tasks SET state = 1, version = version + 1, completed_at = now(), completion_seq = nextval('dispatch_completion_seq')
            WHERE project_id = @project AND task_id = 'slow'
            """, slow, transaction))
        {
            complete.Parameters.AddWithValue("project", projectId);
            Assert.Equal(1, await complete.ExecuteNonQueryAsync());
        }

        await transaction.CommitAsync();

        // Following the cursor from "early" finds "slow" (it belongs before "late"), then "late".
        var rest = await ResultsAsync(owner, projectId, firstRead.LastCursor);
        Assert.Equal(["slow", "late"], rest.TaskIds);
    }

    [Fact]
    public async Task Claim_OfATaskWhoseShardCopyIsOlderThanStorage_DecidesOnWhatIsStored()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var host = DispatchApiFactory.ForPostgres(connectionString);
        host.Settings["Dispatch:QueueShards"] = "1";
        host.Start();
        var (owner, first) = await SetUpAsync(host, overlap: 2, "front", "behind");
        var projectId = first.ProjectId;
        using var admin = host.CreateAdminClient();
        var second = await WorkerClient.CreateAsync(host, admin, projectId);
        var third = await WorkerClient.CreateAsync(host, admin, projectId);
        var fourth = await WorkerClient.CreateAsync(host, admin, projectId);

        // The first claim reads the shard's page of seeds: "behind" is in it, never leased, at version 1.
        Assert.Equal("front", (await first.ClaimAsync()).Is(HttpStatusCode.Created)["taskId"]!.GetValue<string>());
        Assert.Equal("front", (await second.ClaimAsync()).Is(HttpStatusCode.Created)["taskId"]!.GetValue<string>());

        // Storage moves on without the shard hearing of it (as when a silo dies between a write and its news).
        await Sql.ExecuteAsync(
            connectionString,
            """
            INSERT INTO dispatch_leases (lease_id, project_id, task_id, shard, worker_id, state, leased_at, expires_at)
            VALUES ('UNHEARD', @project, 'behind', 0, 'someone-else', 0, now(), now() + interval '1 hour');
            UPDATE dispatch_tasks SET version = version + 1 WHERE project_id = @project AND task_id = 'behind';
            """,
            ("project", projectId));

        // The claim starts from the old copy, finds out on its write, and decides again on what is stored: one slot
        // is left for the third worker, none for the fourth.
        Assert.Equal("behind", (await third.ClaimAsync()).Is(HttpStatusCode.Created)["taskId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await fourth.ClaimAsync()).Status);
        var view = (await owner.GetApiAsync($"/v1/projects/{projectId}/tasks/behind")).Is(HttpStatusCode.OK);
        Assert.Equal(
            new[] { "someone-else", third.Id }.Order(),
            view["leases"]!.AsArray().Select(l => l!["workerId"]!.GetValue<string>()).Order());
    }

    private static async Task<(HttpClient Owner, WorkerClient Worker)> SetUpAsync(DispatchApiFactory host, int overlap, params string[] taskIds)
    {
        using var admin = host.CreateAdminClient();
        var apiKey = (await admin.PostApiAsync("/v1/requesters", new { id = "req-" + Guid.NewGuid().ToString("N"), name = "Hot path" }))
            .Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        var owner = host.CreateClient(apiKey);
        var projectId = "prj-" + Guid.NewGuid().ToString("N");
        (await owner.PostApiAsync("/v1/projects", new { id = projectId, name = "Hot path", overlap, leaseSeconds = 300 })).Is(HttpStatusCode.Created);
        var tasks = new JsonArray([.. taskIds.Select((id, i) => (JsonNode)new JsonObject { ["id"] = id, ["payload"] = new JsonObject { ["n"] = i }, ["priority"] = taskIds.Length - i })]);
        (await owner.PostApiAsync($"/v1/projects/{projectId}/tasks", new JsonObject { ["tasks"] = tasks })).Is(HttpStatusCode.OK);
        return (owner, await WorkerClient.CreateAsync(host, admin, projectId));
    }

    private static async Task CompleteAsync(WorkerClient worker, string expectedTaskId)
    {
        var lease = (await worker.ClaimAsync()).Is(HttpStatusCode.Created);
        Assert.Equal(expectedTaskId, lease["taskId"]!.GetValue<string>());
        var submitted = (await worker.Client.PostApiAsync($"/v1/workers/{worker.Id}/leases/{lease["leaseId"]}/submit", new { result = "done" })).Is(HttpStatusCode.OK);
        Assert.Equal("completed", submitted["taskState"]!.GetValue<string>());
    }

    private static async Task<(List<string> TaskIds, string? LastCursor)> ResultsAsync(HttpClient owner, string projectId, string? after)
    {
        var ids = new List<string>();
        string? cursor = after;
        while (true)
        {
            var page = (await owner.GetApiAsync($"/v1/projects/{projectId}/results?limit=1" + (cursor is null ? "" : "&after=" + cursor))).Is(HttpStatusCode.OK);
            var items = page["items"]!.AsArray();
            ids.AddRange(items.Select(i => i!["taskId"]!.GetValue<string>()));
            if (page["next"]?.GetValue<string>() is not { } next)
            {
                return (ids, cursor);
            }

            cursor = next;
        }
    }

    private sealed record WorkerClient(string Id, string ProjectId, HttpClient Client)
    {
        public static async Task<WorkerClient> CreateAsync(DispatchApiFactory host, HttpClient admin, string projectId)
        {
            var id = "w-" + Guid.NewGuid().ToString("N");
            var token = (await admin.PostApiAsync("/v1/workers", new { id })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
            return new WorkerClient(id, projectId, host.CreateClient(token));
        }

        public Task<ApiResponse> ClaimAsync() => Client.PostApiAsync($"/v1/workers/{Id}/leases", new { projectId = ProjectId });
    }
}
