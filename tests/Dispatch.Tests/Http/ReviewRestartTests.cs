using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Http;

/// <summary>
/// Auto-accept is a durable timer: a submission stored pending through one postgres-mode host is accepted on time by
/// the next host on the same database and service id, with nobody calling the project in between.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ReviewRestartTests(PostgresServer postgres)
{
    private const int AutoAcceptSeconds = 15;

    [Fact]
    public async Task AutoAccept_FiresOnTime_AfterTheHostRestarted()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var serviceId = "review-restart-" + Guid.NewGuid().ToString("N");
        var projectId = "prj-" + Guid.NewGuid().ToString("N");
        var workerId = "wrk-" + Guid.NewGuid().ToString("N");
        string taskId;

        await using (var first = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start())
        {
            using var admin = first.CreateAdminClient();
            var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
            (await admin.PostApiAsync("/v1/projects", JsonNode.Parse($$$"""
                {"id":"{{{projectId}}}","review":{"mode":"requester","autoAcceptSeconds":{{{AutoAcceptSeconds}}}}}
                """))).Is(HttpStatusCode.Created);
            (await admin.PostApiAsync($"/v1/projects/{projectId}/tasks", """{"tasks":[{"id":"t","payload":1}]}""")).Is(HttpStatusCode.OK);
            using var worker = first.CreateClient(token);
            var lease = (await worker.PostApiAsync($"/v1/workers/{workerId}/leases", new { projectId })).Is(HttpStatusCode.Created);
            taskId = lease["taskId"]!.GetValue<string>();
            (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/{lease["leaseId"]!.GetValue<string>()}/submit", new { result = "x" })).Is(HttpStatusCode.OK);
        }

        await using var second = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start();
        using var again = second.CreateAdminClient();
        var submission = await SubmissionAsync(again, projectId, taskId);
        Assert.Equal("pending", submission["state"]!.GetValue<string>());
        var due = ApiAssert.IsUtcTimestamp(submission["submittedAt"], "submittedAt") + TimeSpan.FromSeconds(AutoAcceptSeconds);
        Assert.True(DateTimeOffset.UtcNow < due - TimeSpan.FromSeconds(2), $"the restart took too long to test anything: due at {due:O}");

        // Reading the task activates the task alone; only the shard's reminder can accept its submission.
        var clock = Stopwatch.StartNew();
        while (submission["state"]!.GetValue<string>() == "pending")
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(AutoAcceptSeconds + 10))
            {
                throw new XunitException($"Still pending long after {due:O}: {submission.ToJsonString()}");
            }

            await Task.Delay(200);
            submission = await SubmissionAsync(again, projectId, taskId);
        }

        var review = submission["review"]!;
        Assert.Equal(("accepted", "auto"), (submission["state"]!.GetValue<string>(), review["by"]!.GetValue<string>()));
        var at = ApiAssert.IsUtcTimestamp(review["at"], "review.at");
        Assert.True(at >= due - TimeSpan.FromMilliseconds(1) && at <= due + TimeSpan.FromSeconds(2), $"accepted at {at:O}, due {due:O}");
        Assert.Equal("completed", (await again.GetApiAsync($"/v1/projects/{projectId}/tasks/{taskId}")).Is(HttpStatusCode.OK)["state"]!.GetValue<string>());
    }

    private static async Task<JsonNode> SubmissionAsync(HttpClient client, string projectId, string taskId) =>
        Assert.Single((await client.GetApiAsync($"/v1/projects/{projectId}/tasks/{taskId}")).Is(HttpStatusCode.OK)["submissions"]!.AsArray())!;
}
