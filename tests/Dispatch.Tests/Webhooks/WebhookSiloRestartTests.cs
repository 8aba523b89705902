using System.Diagnostics;
using System.Net;
using Dispatch.Tests.Cluster;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Webhooks;

/// <summary>
/// At least once across a crash: events stored while the receiver is down stay in the outbox, the silo is killed
/// (SIGKILL, some deliveries taken and never finished) and started again, and once the receiver is back it gets every
/// event, each at least once, signed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WebhookSiloRestartTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const string Secret = "restart-secret-0123456789abcdef";

    [Fact]
    public async Task AReceiverDownWhileTheSiloIsKilledAndRestarted_GetsEveryEventAfterwards()
    {
        var clock = Stopwatch.StartNew();
        await using var receiver = await WebhookReceiver.StartAsync(Secret);
        receiver.Answer = (_, _) => 503;
        var settings = new Dictionary<string, string>(SiloCluster.FastFailureDetection)
        {
            ["Dispatch:Webhooks:AllowPrivateNetworks"] = "true",
            ["Dispatch:Webhooks:PollInterval"] = "00:00:00.100",
            ["Dispatch:Webhooks:FirstRetryDelay"] = "00:00:00.200",
            ["Dispatch:Webhooks:MaxRetryDelay"] = "00:00:00.500",
            ["Dispatch:Webhooks:AttemptTimeout"] = "00:00:01",
            ["Dispatch:Webhooks:BatchSize"] = "8",
            ["Dispatch:Webhooks:ClaimTimeout"] = "00:00:03",
        };
        await using var cluster = new SiloCluster("webhooks", await postgres.CreateDatabaseAsync(), size: 1, settings);
        try
        {
            await cluster.StartAllAsync();
            output.WriteLine($"silo ready after {clock.Elapsed.TotalSeconds:0.0} s");
            var admin = cluster.AdminKey;
            const string projectId = "restarted";
            await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/projects", admin, new { id = projectId, name = "Restarted" }, HttpStatusCode.Created);
            await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/projects/{projectId}/webhooks", admin, new { url = receiver.Url, secret = Secret }, HttpStatusCode.Created);
            await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/projects/{projectId}/tasks", admin,
                new { tasks = Enumerable.Range(0, 4).Select(i => new { id = $"t{i}", payload = i }) }, HttpStatusCode.OK);
            var token = (await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/workers", admin, new { id = "w1" }, HttpStatusCode.Created))["token"]!.GetValue<string>();
            for (var i = 0; i < 4; i++)
            {
                var leaseId = (await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/workers/w1/leases", token, new { projectId }, HttpStatusCode.Created))["leaseId"]!.GetValue<string>();
                await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/workers/w1/leases/{leaseId}/submit", token, new { result = "yes" }, HttpStatusCode.OK);
            }

            // The import's task.created and 4 tasks × (leased, submitted, completed): every one of them tried and refused
            // before the crash.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (receiver.Posts.Select(p => p.EventId).Distinct().Count() < 13)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {receiver.Posts.Count} posts before the crash");
                await Task.Delay(50);
            }

            cluster[0]!.Kill();
            Assert.NotNull(await cluster[0]!.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            output.WriteLine($"killed after {clock.Elapsed.TotalSeconds:0.0} s with {receiver.Posts.Count} refused posts");
            Assert.Empty(receiver.Delivered());

            await cluster.StartSiloAsync(0);
            output.WriteLine($"restarted after {clock.Elapsed.TotalSeconds:0.0} s");
            receiver.Answer = (_, _) => 200;

            var delivered = await receiver.WaitForDeliveredAsync(d => d.Count == 13, TimeSpan.FromSeconds(20));
            output.WriteLine($"all delivered after {clock.Elapsed.TotalSeconds:0.0} s, {receiver.Posts.Count} posts in all");
            Assert.All(receiver.Posts, p => Assert.True(p.SignatureValid));
            var types = delivered.Values.GroupBy(p => p.Event["type"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(new Dictionary<string, int> { ["task.created"] = 1, ["task.leased"] = 4, ["task.submitted"] = 4, ["task.completed"] = 4 }, types);
            Assert.Empty(cluster.UnexpectedExits());
        }
        finally
        {
            cluster.Report(output);
        }
    }
}
