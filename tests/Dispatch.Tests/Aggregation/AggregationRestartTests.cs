using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Aggregation;

/// <summary>
/// A finished Dawid-Skene run is durable: after the host restarts on the same database, the run's state and the
/// estimates it stored are what the next host answers.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AggregationRestartTests(PostgresServer postgres)
{
    [Fact]
    public async Task AFinishedRun_AndItsEstimates_SurviveARestart()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var serviceId = "aggregation-restart-" + Guid.NewGuid().ToString("N");
        var projectId = "prj-" + Guid.NewGuid().ToString("N");
        var workerId = "wrk-" + Guid.NewGuid().ToString("N");
        JsonNode finished;
        JsonNode aggregate;

        await using (var first = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start())
        {
            using var admin = first.CreateAdminClient();
            var token = (await admin.PostApiAsync("/v1/workers", new { id = workerId })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
            (await admin.PostApiAsync("/v1/projects", JsonNode.Parse($$$"""{"id":"{{{projectId}}}","aggregation":{"method":"dawidSkene"}}"""))).Is(HttpStatusCode.Created);
            (await admin.PostApiAsync($"/v1/projects/{projectId}/tasks", """{"tasks":[{"id":"t","payload":1}]}""")).Is(HttpStatusCode.OK);
            using var worker = first.CreateClient(token);
            var lease = (await worker.PostApiAsync($"/v1/workers/{workerId}/leases", new { projectId })).Is(HttpStatusCode.Created);
            (await worker.PostApiAsync($"/v1/workers/{workerId}/leases/{lease["leaseId"]!.GetValue<string>()}/submit", new { result = "x" })).Is(HttpStatusCode.OK);

            (await admin.PostApiAsync($"/v1/projects/{projectId}/aggregation/run", new { })).Is(HttpStatusCode.Accepted);
            var clock = Stopwatch.StartNew();
            do
            {
                await Task.Delay(100);
                finished = (await admin.GetApiAsync($"/v1/projects/{projectId}/aggregation")).Is(HttpStatusCode.OK);
                if (clock.Elapsed > TimeSpan.FromSeconds(20))
                {
                    throw new XunitException($"The run did not finish: {finished.ToJsonString()}");
                }
            }
            while (finished["state"]!.GetValue<string>() != "done");

            aggregate = (await admin.GetApiAsync($"/v1/projects/{projectId}/tasks/t")).Is(HttpStatusCode.OK)["aggregate"]!;
            Assert.Equal(("x", "dawidSkene"), (aggregate["value"]!.GetValue<string>(), aggregate["method"]!.GetValue<string>()));
        }

        await using var second = DispatchApiFactory.ForPostgres(connectionString, serviceId).Start();
        using var again = second.CreateAdminClient();
        var status = (await again.GetApiAsync($"/v1/projects/{projectId}/aggregation")).Is(HttpStatusCode.OK);
        Assert.Equal(finished.ToJsonString(), status.ToJsonString());
        Assert.Equal(1, status["tasks"]!.GetValue<int>());
        var after = (await again.GetApiAsync($"/v1/projects/{projectId}/tasks/t")).Is(HttpStatusCode.OK)["aggregate"]!;
        Assert.Equal(aggregate.ToJsonString(), after.ToJsonString());
    }
}
