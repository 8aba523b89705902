using System.Net;
using Dispatch.Grains.Storage;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// A claim whose lease was stored but whose answer was lost on the way back (a task's silo dying right after the
/// write, a timeout) answers <c>503</c>; the lease is nevertheless the worker's: <c>GET /v1/workers/{w}/leases</c>
/// lists it and the worker can submit it, on both backends.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LostClaimAnswerTests(PostgresServer postgres)
{
    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task ClaimStoredButUnanswered_IsListedAmongTheWorkersLeases_AndCanBeSubmitted(StorageMode storage)
    {
        var workerId = "unlucky-" + Guid.NewGuid().ToString("N")[..8];
        await using var host = await DispatchApiFactory.ForAsync(storage, postgres);
        host.TestServices = services => FaultyTaskStore.Install(services, (method, args) =>
            method == nameof(ITaskStore.SaveAsync) && args[3] is TaskChange { NewLease.WorkerId: var leasedTo } && leasedTo == workerId);
        host.Start();
        using var admin = host.CreateAdminClient();
        var apiKey = (await admin.PostApiAsync("/v1/requesters", new { id = "acme", name = "Acme" })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        using var owner = host.CreateClient(apiKey);
        (await owner.PostApiAsync("/v1/projects", new { id = "p", name = "Lost answers" })).Is(HttpStatusCode.Created);
        (await owner.PostApiAsync("/v1/projects/p/tasks", """{"tasks":[{"id":"a","payload":1},{"id":"b","payload":2}]}""")).Is(HttpStatusCode.OK);
        var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        using var worker = host.CreateClient(token);

        (await worker.PostApiAsync($"/v1/workers/{workerId}/leases", new { projectId = "p" })).IsProblem(HttpStatusCode.ServiceUnavailable, "unavailable");

        var listed = (await worker.GetApiAsync($"/v1/workers/{workerId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray();
        var lease = Assert.Single(listed)!;
        var leaseId = lease["leaseId"]!.GetValue<string>();
        var taskId = lease["taskId"]!.GetValue<string>();
        var stored = (await owner.GetApiAsync($"/v1/projects/p/tasks/{taskId}")).Is(HttpStatusCode.OK)["leases"]!.AsArray();
        Assert.Contains(stored, l => l!["leaseId"]!.GetValue<string>() == leaseId && l["state"]!.GetValue<string>() == "active");
        Assert.Equal(1, (await admin.GetApiAsync($"/v1/workers/{workerId}")).Is(HttpStatusCode.OK)["activeLeases"]!.GetValue<int>());

        (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/{leaseId}/submit", """{"result":"done"}""")).Is(HttpStatusCode.OK);
        Assert.Empty((await worker.GetApiAsync($"/v1/workers/{workerId}/leases")).Is(HttpStatusCode.OK)["items"]!.AsArray());
    }
}
