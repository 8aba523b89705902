using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Http;

/// <summary>
/// State written through one postgres-mode host is all there for a new host on the same database and service id:
/// requester keys, workers and certifications, projects with their settings and counts, and tasks.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRestartTests(PostgresServer postgres)
{
    [Fact]
    public async Task NewHost_OnSameDatabase_SeesEverythingTheFirstHostStored()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var serviceId = "restart-" + Guid.NewGuid().ToString("N");
        var requesterId = "req-" + Guid.NewGuid().ToString("N");
        var workerId = "wrk-" + Guid.NewGuid().ToString("N");
        var projectId = "prj-" + Guid.NewGuid().ToString("N");
        string apiKey;
        string token;
        List<string> taskIds;
        const string Payload = """{"image":"a.png","sizes":[1,2,3],"nested":{"ok":true}}""";

        await using (var first = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start())
        {
            using var admin = first.CreateAdminClient();
            apiKey = (await admin.PostApiAsync("/v1/requesters", new { id = requesterId, name = "Before restart" }))
                .Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
            token = (await admin.PostApiAsync("/v1/workers", new { id = workerId, displayName = "Durable", maxActiveLeases = 12 }))
                .Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
            (await admin.PutApiAsync($"/v1/workers/{workerId}/certifications/image-labeling", new { level = 42 })).Is(HttpStatusCode.OK);
            (await admin.PostApiAsync($"/v1/workers/{workerId}/block", new { reason = "restart test" })).Is(HttpStatusCode.OK);

            using var requester = first.CreateClient(apiKey);
            (await requester.PostApiAsync("/v1/projects", JsonNode.Parse($$"""
                {
                  "id": "{{projectId}}", "name": "Survives restarts", "instructions": "Label it.",
                  "labelConfig": "<View/>", "requirements": [ { "skill": "image-labeling", "minLevel": 2 } ],
                  "overlap": 3, "leaseSeconds": 120, "maxAttempts": 4, "reward": 0.25, "priority": 6,
                  "quality": { "minGolden": 5, "minAccuracy": 0.8 }
                }
                """))).Is(HttpStatusCode.Created);
            (await requester.PatchApiAsync($"/v1/projects/{projectId}", new { status = "paused" })).Is(HttpStatusCode.OK);
            var import = (await requester.PostApiAsync(
                $"/v1/projects/{projectId}/tasks",
                $$"""{"tasks":[{"id":"kept","payload":{{Payload}},"priority":3},{"payload":2},{"payload":3,"goldenAnswer":"x"}]}"""))
                .Is(HttpStatusCode.OK);
            taskIds = import["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
        }

        await using var second = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start();
        using var again = second.CreateClient(apiKey);
        using var workerAgain = second.CreateClient(token);

        var project = (await again.GetApiAsync($"/v1/projects/{projectId}")).Is(HttpStatusCode.OK);
        Assert.Equal("Survives restarts", project["name"]!.GetValue<string>());
        Assert.Equal("Label it.", project["instructions"]!.GetValue<string>());
        Assert.Equal("<View/>", project["labelConfig"]!.GetValue<string>());
        var requirement = Assert.Single(project["requirements"]!.AsArray())!;
        Assert.Equal("image-labeling", requirement["skill"]!.GetValue<string>());
        Assert.Equal(2, requirement["minLevel"]!.GetValue<int>());
        Assert.Equal(3, project["overlap"]!.GetValue<int>());
        Assert.Equal(120, project["leaseSeconds"]!.GetValue<int>());
        Assert.Equal(4, project["maxAttempts"]!.GetValue<int>());
        Assert.Equal(0.25m, project["reward"]!.GetValue<decimal>());
        Assert.Equal(6, project["priority"]!.GetValue<int>());
        Assert.Equal(5, project["quality"]!["minGolden"]!.GetValue<int>());
        Assert.Equal("paused", project["status"]!.GetValue<string>());
        var counts = project["counts"]!;
        Assert.Equal(3, counts["total"]!.GetValue<int>());
        Assert.Equal(3, counts["open"]!.GetValue<int>());
        Assert.Equal(0, counts["completed"]!.GetValue<int>());
        Assert.Equal(0, counts["deadLettered"]!.GetValue<int>());
        Assert.Equal([projectId], (await again.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK)["items"]!.AsArray()
            .Select(p => p!["id"]!.GetValue<string>()));

        var kept = (await again.GetApiAsync($"/v1/projects/{projectId}/tasks/kept")).Is(HttpStatusCode.OK);
        Assert.Equal("open", kept["state"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Payload), kept["payload"]), kept.ToJsonString());
        Assert.Equal(3, kept["priority"]!.GetValue<int>());
        foreach (var taskId in taskIds)
        {
            (await again.GetApiAsync($"/v1/projects/{projectId}/tasks/{taskId}")).Is(HttpStatusCode.OK);
        }

        // Re-importing the same tasks finds them; a conflicting payload is still refused.
        var reimport = (await again.PostApiAsync($"/v1/projects/{projectId}/tasks", $$"""{"tasks":[{"id":"kept","payload":{{Payload}},"priority":3}]}"""))
            .Is(HttpStatusCode.OK);
        Assert.Equal(1, reimport["existing"]!.GetValue<int>());
        (await again.PostApiAsync($"/v1/projects/{projectId}/tasks", """{"tasks":[{"id":"kept","payload":"changed"}]}"""))
            .IsProblem(HttpStatusCode.Conflict, "conflict");

        var worker = (await workerAgain.GetApiAsync($"/v1/workers/{workerId}")).Is(HttpStatusCode.OK);
        Assert.Equal("Durable", worker["displayName"]!.GetValue<string>());
        Assert.Equal(12, worker["maxActiveLeases"]!.GetValue<int>());
        Assert.True(worker["blocked"]!.GetValue<bool>());
        var certification = Assert.Single(worker["certifications"]!.AsArray())!;
        Assert.Equal("image-labeling", certification["skill"]!.GetValue<string>());
        Assert.Equal(42, certification["level"]!.GetValue<int>());
        Assert.Equal("admin", certification["source"]!.GetValue<string>());
        Assert.False(certification["suspended"]!.GetValue<bool>());

        // Same ids are still taken.
        using var admin2 = second.CreateAdminClient();
        (await admin2.PostApiAsync("/v1/requesters", new { id = requesterId, name = "again" })).IsProblem(HttpStatusCode.Conflict, "conflict");
        (await admin2.PostApiAsync("/v1/workers", new { id = workerId })).IsProblem(HttpStatusCode.Conflict, "conflict");
        (await again.PostApiAsync("/v1/projects", new { id = projectId, name = "again" })).IsProblem(HttpStatusCode.Conflict, "conflict");
    }
}
