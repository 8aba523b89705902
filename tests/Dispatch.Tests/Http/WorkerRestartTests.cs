using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Http;

/// <summary>
/// What a worker finds after the service restarts with its leases still in storage: it can go on working at once,
/// whatever became of those leases meanwhile.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WorkerRestartTests(PostgresServer postgres)
{
    [Fact]
    public async Task FirstCallAfterARestart_WithALeaseThatExpiredMeanwhile_AnswersAtOnce()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var serviceId = "worker-restart-" + Guid.NewGuid().ToString("N");
        var workerId = "wrk-" + Guid.NewGuid().ToString("N");
        var projectId = "prj-" + Guid.NewGuid().ToString("N");
        string token;
        string otherToken;

        await using (var first = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start())
        {
            using var admin = first.CreateAdminClient();
            token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
            otherToken = (await admin.PostApiAsync("/v1/workers", new { id = workerId + "-other" })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
            (await admin.PostApiAsync("/v1/projects", new { id = projectId, name = "Short leases", leaseSeconds = 1, overlap = 1 })).Is(HttpStatusCode.Created);
            (await admin.PostApiAsync($"/v1/projects/{projectId}/tasks", JsonNode.Parse("""{"tasks":[{"id":"only","payload":1}]}"""))).Is(HttpStatusCode.OK);
            using var worker = first.CreateClient(token);
            (await worker.PostApiAsync($"/v1/workers/{workerId}/leases", new { projectId })).Is(HttpStatusCode.Created);
        }

        // The lease runs out while no silo holds its task or its worker.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        await using var second = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start();
        using var workerAgain = second.CreateClient(token);
        // A healthy answer takes milliseconds; grains waiting on each other's activation answer only when the 10 s
        // response timeout breaks the wait.
        workerAgain.Timeout = TimeSpan.FromSeconds(15);

        var leases = (await workerAgain.GetApiAsync($"/v1/workers/{workerId}/leases")).Is(HttpStatusCode.OK);
        Assert.Empty(leases["items"]!.AsArray());
        // The task is free again for anyone but the worker whose lease ran out.
        using var other = second.CreateClient(otherToken);
        other.Timeout = TimeSpan.FromSeconds(15);
        var again = (await other.PostApiAsync($"/v1/workers/{workerId}-other/leases", new { projectId, waitSeconds = 10 })).Is(HttpStatusCode.Created);
        Assert.Equal("only", again["taskId"]!.GetValue<string>());
    }
}
