using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// Blocking a worker ends the leases it is known to hold, but one may be missed (its claim's answer was lost, or
/// ending it failed): whatever lease a blocked worker still names, it can neither keep it alive nor submit on it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BlockedWorkerTests(PostgresServer postgres)
{
    [Fact]
    public async Task BlockedWorker_CannotHeartbeatOrSubmit_OnALeaseTheBlockDidNotEnd()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var host = DispatchApiFactory.ForPostgres(connectionString).Start();
        using var admin = host.CreateAdminClient();
        var projectId = "prj-" + Guid.NewGuid().ToString("N");
        var workerId = "w-" + Guid.NewGuid().ToString("N");
        (await admin.PostApiAsync("/v1/projects", new { id = projectId, name = "Blocked", overlap = 1, leaseSeconds = 300 })).Is(HttpStatusCode.Created);
        (await admin.PostApiAsync($"/v1/projects/{projectId}/tasks", JsonNode.Parse("""{"tasks":[{"id":"kept","payload":1}]}"""))).Is(HttpStatusCode.OK);
        var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        using var worker = host.CreateClient(token);
        (await worker.GetApiAsync($"/v1/workers/{workerId}")).Is(HttpStatusCode.OK);

        // A lease the worker's grain never heard of: granted by a task whose answer was lost on the way.
        await Sql.ExecuteAsync(
            connectionString,
            """
            INSERT INTO dispatch_leases (lease_id, project_id, task_id, shard, worker_id, state, leased_at, expires_at)
            SELECT 'UNHEARD', project_id, task_id, shard, @worker, 0, now(), now() + interval '1 hour'
            FROM dispatch_tasks WHERE project_id = @project AND task_id = 'kept';
            UPDATE dispatch_tasks SET version = version + 1 WHERE project_id = @project AND task_id = 'kept';
            """,
            ("project", projectId),
            ("worker", workerId));

        (await admin.PostApiAsync($"/v1/workers/{workerId}/block", new { reason = "spam" })).Is(HttpStatusCode.OK);

        (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/UNHEARD/heartbeat", new { })).IsProblem(HttpStatusCode.Forbidden, "worker-blocked");
        (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/UNHEARD/submit", new { result = "late" })).IsProblem(HttpStatusCode.Forbidden, "worker-blocked");
        var task = (await admin.GetApiAsync($"/v1/projects/{projectId}/tasks/kept")).Is(HttpStatusCode.OK);
        Assert.Empty(task["submissions"]!.AsArray());
        Assert.Equal("open", task["state"]!.GetValue<string>());
    }
}
