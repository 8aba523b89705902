using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Grains.Storage;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// An exam is evaluated after the final submit is stored. When that evaluation fails (the submit answers <c>503</c>,
/// though the submission is stored), the worker's retry of the submit answers <c>409 lease-not-active</c>, as the
/// contract says, and evaluates the exam again: the certification is granted, once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ExamRetryTests(PostgresServer postgres)
{
    [Theory]
    [InlineData(StorageMode.Memory)]
    [InlineData(StorageMode.Postgres)]
    public async Task EvaluationFailedAfterTheFinalSubmit_TheRetriedSubmitGrantsTheCertification(StorageMode storage)
    {
        var workerId = "candidate-" + Guid.NewGuid().ToString("N")[..8];
        var evaluationFails = false;
        await using var host = await DispatchApiFactory.ForAsync(storage, postgres);
        host.TestServices = services => FaultyTaskStore.Install(services, (method, args) =>
            Volatile.Read(ref evaluationFails) && method == nameof(ITaskStore.GetExamProgressAsync) && Equals(args[1], workerId));
        host.Start();
        using var admin = host.CreateAdminClient();
        var apiKey = (await admin.PostApiAsync("/v1/requesters", new { id = "school", name = "School" })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        using var owner = host.CreateClient(apiKey);
        (await owner.PostApiAsync("/v1/projects", """{"id":"exam","name":"Exam","exam":{"skill":"cats","level":2,"passScore":0.5}}""")).Is(HttpStatusCode.Created);
        (await owner.PostApiAsync("/v1/projects/exam/tasks", """{"tasks":[{"id":"q1","payload":1,"goldenAnswer":"yes"},{"id":"q2","payload":2,"goldenAnswer":"yes"}]}""")).Is(HttpStatusCode.OK);
        var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
        using var worker = host.CreateClient(token);

        var first = (await worker.PostApiAsync($"/v1/workers/{workerId}/leases", new { projectId = "exam" })).Is(HttpStatusCode.Created)["leaseId"]!.GetValue<string>();
        (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/{first}/submit", """{"result":"yes"}""")).Is(HttpStatusCode.OK);
        var last = (await worker.PostApiAsync($"/v1/workers/{workerId}/leases", new { projectId = "exam" })).Is(HttpStatusCode.Created)["leaseId"]!.GetValue<string>();
        Volatile.Write(ref evaluationFails, true);
        (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/{last}/submit", """{"result":"yes"}""")).IsProblem(HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.Null(Certification(await WorkerAsync(admin, workerId)));

        (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/{last}/submit", """{"result":"yes"}""")).IsProblem(HttpStatusCode.Conflict, "lease-not-active");

        var view = await WorkerAsync(admin, workerId);
        var certification = Certification(view) ?? throw new Xunit.Sdk.XunitException($"no certification after the retried submit: {view.ToJsonString()}");
        Assert.Equal(2, certification["level"]!.GetValue<int>());
        Assert.Equal("exam", certification["source"]!.GetValue<string>());
        Assert.Equal(2, view["stats"]!["submitted"]!.GetValue<int>());
        Assert.Equal(2, view["stats"]!["goldenCorrect"]!.GetValue<int>());
    }

    private static async Task<JsonNode> WorkerAsync(HttpClient admin, string workerId) =>
        (await admin.GetApiAsync($"/v1/workers/{workerId}")).Is(HttpStatusCode.OK);

    private static JsonNode? Certification(JsonNode view) =>
        view["certifications"]!.AsArray().SingleOrDefault(c => c!["skill"]!.GetValue<string>() == "cats");
}
