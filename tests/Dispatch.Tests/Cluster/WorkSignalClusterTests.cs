using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Operations;
using Xunit.Abstractions;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// Work signals between silo processes: work freed on one silo wakes long polls waiting on another, about as many as
/// it freed slots. The periodic fallback is set to an hour, so that only signals wake claims here.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WorkSignalClusterTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int A = 0;
    private const int B = 1;

    [Fact]
    public async Task WorkFreedOnOneSilo_WakesAsManyLongPollsOnTheOther_AsItFreedSlots()
    {
        var settings = new Dictionary<string, string>(SiloCluster.FastFailureDetection) { ["Dispatch:SiloViews:WorkSignalFallback"] = "01:00:00" };
        await using var cluster = new SiloCluster("signals", await postgres.CreateDatabaseAsync(), size: 2, settings);
        try
        {
            await cluster.StartAllAsync();
            var admin = cluster.AdminKey;
            var suffix = Guid.NewGuid().ToString("N")[..8];
            var apiKey = (await cluster.ExpectAsync(B, HttpMethod.Post, "/v1/requesters", admin, new { id = "req-" + suffix, name = "Signals" }, HttpStatusCode.Created))
                ["apiKey"]!.GetValue<string>();
            var projectId = "prj-" + suffix;
            await cluster.ExpectAsync(B, HttpMethod.Post, "/v1/projects", apiKey, new { id = projectId, name = "Signals", overlap = 1 }, HttpStatusCode.Created);
            await ImportAsync(cluster, projectId, apiKey, "held");
            var holder = await CreateWorkerAsync(cluster, "holder-" + suffix);
            var held = await cluster.ExpectAsync(B, HttpMethod.Post, $"/v1/workers/{holder.Id}/leases", holder.Token, new { projectId }, HttpStatusCode.Created);
            var waiters = new List<(string Id, string Token)>();
            for (var i = 0; i < 4; i++)
            {
                waiters.Add(await CreateWorkerAsync(cluster, $"waiter{i}-{suffix}"));
            }

            var claims = waiters.Select(w => cluster.SendAsync(A, HttpMethod.Post, $"/v1/workers/{w.Id}/leases", w.Token, new { projectId, waitSeconds = 20 }, TimeSpan.FromSeconds(40))).ToList();
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.DoesNotContain(claims, c => c.IsCompleted);

            var before = await WokenBySignalAsync(cluster); // the first import's signal may have reached A only now
            var clock = Stopwatch.StartNew();
            await cluster.ExpectAsync(B, HttpMethod.Post, $"/v1/workers/{holder.Id}/leases/{held["leaseId"]!.GetValue<string>()}/release", holder.Token, new { }, HttpStatusCode.OK);
            var first = await (await Task.WhenAny(claims)).WaitAsync(TimeSpan.FromSeconds(5));
            output.WriteLine($"the first waiter on A got its lease {clock.Elapsed.TotalSeconds:0.00} s after the release on B");
            Assert.Equal(201, first.Status);
            Assert.Equal("held", first.Response!.Json["taskId"]!.GetValue<string>());
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(1, claims.Count(c => c.IsCompleted));
            Assert.Equal(before + 1, await WokenBySignalAsync(cluster));

            await ImportAsync(cluster, projectId, apiKey, "t1", "t2");
            var clock2 = Stopwatch.StartNew();
            while (claims.Count(c => c.IsCompleted) < 3)
            {
                Assert.True(clock2.Elapsed < TimeSpan.FromSeconds(5), "two imported tasks did not reach two waiters on the other silo within 5 s");
                await Task.Delay(50);
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(3, claims.Count(c => c.IsCompleted));
            Assert.Equal(before + 3, await WokenBySignalAsync(cluster));
            var answers = await Task.WhenAll(claims);
            Assert.Equal(["held", "t1", "t2"], answers.Where(a => a.Status == 201).Select(a => a.Response!.Json["taskId"]!.GetValue<string>()).Order());
            Assert.Equal(204, Assert.Single(answers, a => a.Status != 201).Status);
        }
        finally
        {
            cluster.Report(output);
        }
    }

    private static Task ImportAsync(SiloCluster cluster, string projectId, string apiKey, params string[] ids) =>
        cluster.ExpectAsync(B, HttpMethod.Post, $"/v1/projects/{projectId}/tasks", apiKey,
            new JsonObject { ["tasks"] = new JsonArray([.. ids.Select(id => new JsonObject { ["id"] = id, ["payload"] = new JsonObject { ["n"] = id } })]) },
            HttpStatusCode.OK);

    private static async Task<(string Id, string Token)> CreateWorkerAsync(SiloCluster cluster, string id)
    {
        var created = await cluster.ExpectAsync(B, HttpMethod.Post, "/v1/workers", cluster.AdminKey, new { id }, HttpStatusCode.Created);
        return (id, created["token"]!.GetValue<string>());
    }

    /// <summary>The long polls silo A woke for work signals, from its Prometheus scrape.</summary>
    private static async Task<double> WokenBySignalAsync(SiloCluster cluster)
    {
        var scrape = new PrometheusText(await cluster.Http(A).GetStringAsync("/metrics"));
        return scrape.Value("dispatch_claims_woken_total", ("by", "signal")) ?? 0;
    }
}
