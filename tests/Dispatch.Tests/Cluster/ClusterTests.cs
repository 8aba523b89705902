using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// Two silo processes form one Orleans cluster on PostgreSQL (storage and ADO.NET membership on one database), each
/// on its own silo, gateway and HTTP ports, and every silo serves the whole API: what one silo stored and granted
/// another silo sees and accepts.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTests(PostgresServer postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task TwoSilos_FormOneCluster_AndEverySiloServesTheWholeApi()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = new SiloCluster("two", await postgres.CreateDatabaseAsync(), size: 2);
        try
        {
            await cluster.StartAllAsync();
            output.WriteLine($"both silos ready after {clock.Elapsed.TotalSeconds:0.0} s: {cluster[0]}, {cluster[1]}");
            Assert.True(await cluster[0]!.IsReadyAsync(), "silo A is not ready");
            Assert.True(await cluster[1]!.IsReadyAsync(), "silo B is not ready");

            // The membership table shows both silos active (joining may take a moment after ready).
            var expectedPorts = new[] { cluster.SettingsFor(0).SiloPort, cluster.SettingsFor(1).SiloPort }.Order().ToList();
            var membership = new List<(int Port, int Generation, string Status)>();
            for (var i = 0; i < 100; i++)
            {
                membership = await cluster.MembershipAsync();
                if ((await cluster.ActivePortsAsync()).SequenceEqual(expectedPorts))
                {
                    break;
                }

                await Task.Delay(200);
            }

            output.WriteLine("membership: " + string.Join(", ", membership.Select(m => $"{m.Port}/{m.Generation} {m.Status}")));
            Assert.Equal(expectedPorts, await cluster.ActivePortsAsync());
            Assert.Equal(2, membership.Count);

            const int A = 0;
            const int B = 1;
            var admin = cluster.AdminKey;
            var suffix = Guid.NewGuid().ToString("N")[..8];

            // A requester, a project and a worker made on silo A.
            var requesterId = "req-" + suffix;
            var apiKey = (await cluster.ExpectAsync(A, HttpMethod.Post, "/v1/requesters", admin, new { id = requesterId, name = "Two silos" }, HttpStatusCode.Created))
                ["apiKey"]!.GetValue<string>();
            var projectId = "prj-" + suffix;
            var created = await cluster.ExpectAsync(A, HttpMethod.Post, "/v1/projects", apiKey,
                new { id = projectId, name = "Across silos", overlap = 1, leaseSeconds = 120, reward = 0.5m }, HttpStatusCode.Created);
            Assert.Equal("open", created["status"]!.GetValue<string>());
            var workerId = "wrk-" + suffix;
            var token = (await cluster.ExpectAsync(A, HttpMethod.Post, "/v1/workers", admin, new { id = workerId }, HttpStatusCode.Created))
                ["token"]!.GetValue<string>();

            // Silo B knows them all: the requester's key, the project, the worker's token.
            var seenOnB = await cluster.ExpectAsync(B, HttpMethod.Get, $"/v1/projects/{projectId}", apiKey, null, HttpStatusCode.OK);
            Assert.Equal("Across silos", seenOnB["name"]!.GetValue<string>());
            Assert.Equal(workerId, (await cluster.ExpectAsync(B, HttpMethod.Get, $"/v1/workers/{workerId}", token, null, HttpStatusCode.OK))["id"]!.GetValue<string>());

            // Import on B.
            var import = await cluster.ExpectAsync(B, HttpMethod.Post, $"/v1/projects/{projectId}/tasks", apiKey,
                JsonNode.Parse("""{"tasks":[{"id":"only","payload":{"text":"across"}}]}"""), HttpStatusCode.OK);
            Assert.Equal(1, import["created"]!.GetValue<int>());

            // Claim on A.
            var lease = await cluster.ExpectAsync(A, HttpMethod.Post, $"/v1/workers/{workerId}/leases", token, new { projectId }, HttpStatusCode.Created);
            Assert.Equal("only", lease["taskId"]!.GetValue<string>());
            Assert.Equal("across", lease["payload"]!["text"]!.GetValue<string>());
            var leaseId = lease["leaseId"]!.GetValue<string>();

            // B lists the lease A granted, and accepts its submission.
            var active = await cluster.ExpectAsync(B, HttpMethod.Get, $"/v1/workers/{workerId}/leases", token, null, HttpStatusCode.OK);
            Assert.Equal([leaseId], active["items"]!.AsArray().Select(l => l!["leaseId"]!.GetValue<string>()));
            var submitted = await cluster.ExpectAsync(B, HttpMethod.Post, $"/v1/workers/{workerId}/leases/{leaseId}/submit", token,
                new { result = new { label = "cat" } }, HttpStatusCode.OK);
            Assert.Equal("completed", submitted["taskState"]!.GetValue<string>());

            // A exports the result B took.
            var results = await cluster.ExpectAsync(A, HttpMethod.Get, $"/v1/projects/{projectId}/results", apiKey, null, HttpStatusCode.OK);
            var item = Assert.Single(results["items"]!.AsArray())!;
            Assert.Equal("only", item["taskId"]!.GetValue<string>());
            var submission = Assert.Single(item["submissions"]!.AsArray())!;
            Assert.Equal(workerId, submission["workerId"]!.GetValue<string>());
            Assert.Equal("cat", submission["result"]!["label"]!.GetValue<string>());
            Assert.Null(results["next"]);

            // Both silos agree on the counts and on the worker's figures.
            foreach (var silo in new[] { A, B })
            {
                var project = await cluster.ExpectAsync(silo, HttpMethod.Get, $"/v1/projects/{projectId}", apiKey, null, HttpStatusCode.OK);
                var counts = project["counts"]!;
                Assert.Equal(
                    (1, 0, 1, 0, 1),
                    (counts["total"]!.GetValue<int>(), counts["open"]!.GetValue<int>(), counts["completed"]!.GetValue<int>(),
                     counts["activeLeases"]!.GetValue<int>(), counts["submissions"]!.GetValue<int>()));
                var worker = await cluster.ExpectAsync(silo, HttpMethod.Get, $"/v1/workers/{workerId}", admin, null, HttpStatusCode.OK);
                Assert.Equal(1, worker["stats"]!["submitted"]!.GetValue<int>());
                Assert.Equal(0, worker["activeLeases"]!.GetValue<int>());
            }

            output.WriteLine($"total: {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            cluster.Report(output);
        }
    }
}
