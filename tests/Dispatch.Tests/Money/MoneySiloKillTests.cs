using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Cluster;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Money;

/// <summary>
/// Bonuses and payouts sent while the silo is killed (SIGKILL, calls in flight) and started again: a platform retries
/// each with its key until it is answered, and each is paid exactly once. One silo process on PostgreSQL, restarted on
/// the same ports; a memory-mode silo forgets everything when it dies, so this means something only on PostgreSQL.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MoneySiloKillTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Calls = 20;
    private const int Lanes = 4;

    [Fact]
    public async Task BonusesAndPayouts_RetriedThroughASiloKill_AreEachPaidOnce()
    {
        await using var cluster = new SiloCluster("money-kill", await postgres.CreateDatabaseAsync(), size: 1);
        try
        {
            await cluster.StartAllAsync();
            var admin = cluster.AdminKey;
            var workerId = "wrk-" + Guid.NewGuid().ToString("N");
            var projectId = "prj-" + Guid.NewGuid().ToString("N");
            await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/workers", admin, new { id = workerId }, HttpStatusCode.Created);
            await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/projects", admin, new { id = projectId, name = "Paid work", reward = 10 }, HttpStatusCode.Created);
            await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/projects/{projectId}/tasks", admin, JsonNode.Parse("""{"tasks":[{"id":"t1","payload":1}]}"""), HttpStatusCode.OK);
            var lease = await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/workers/{workerId}/leases", admin, new { projectId }, HttpStatusCode.Created);
            await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/workers/{workerId}/leases/{lease["leaseId"]!.GetValue<string>()}/submit", admin, new { result = "cat" }, HttpStatusCode.OK);

            // Bonuses and payouts alternate; the payouts (5 in all) fit into the reward (10) whatever order they land in.
            var calls = Enumerable.Range(0, Calls).SelectMany(i => new[]
            {
                ($"/v1/workers/{workerId}/bonuses", (object)new { projectId, amount = 0.5m, reason = $"bonus {i}", idempotencyKey = $"b{i:D2}" }),
                ($"/v1/workers/{workerId}/payouts", (object)new { amount = 0.25m, reference = $"transfer {i}", idempotencyKey = $"p{i:D2}" }),
            }).ToList();
            var answers = new ConcurrentDictionary<int, string>();
            var unanswered = 0;
            var clock = Stopwatch.StartNew();
            var lanes = Enumerable.Range(0, Lanes).Select(lane => Task.Run(async () =>
            {
                for (var i = lane; i < calls.Count; i += Lanes)
                {
                    var (path, body) = calls[i];
                    while (true)
                    {
                        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"call {i} was never answered");
                        var reply = await cluster.SendAsync(0, HttpMethod.Post, path, admin, body, TimeSpan.FromSeconds(15));
                        if (reply.Status is 200 or 201)
                        {
                            answers[i] = reply.Response!.Json.ToJsonString();
                            break;
                        }

                        Assert.True(!reply.Answered || reply.Status == 503, $"call {i}: {reply}");
                        Interlocked.Increment(ref unanswered);
                        await Task.Delay(200);
                    }

                    await Task.Delay(100);
                }
            })).ToList();

            while (answers.Count < calls.Count / 4)
            {
                Assert.False(lanes.Any(l => l.IsFaulted) || clock.Elapsed > TimeSpan.FromSeconds(60), "the calls before the kill did not go through");
                await Task.Delay(20);
            }

            var answeredBefore = answers.Count;
            cluster[0]!.Kill();
            while (!cluster[0]!.HasExited)
            {
                await Task.Delay(20);
            }

            output.WriteLine($"silo killed after {answeredBefore} of {calls.Count} calls were answered");
            await cluster.StartSiloAsync(0);
            await Task.WhenAll(lanes);
            output.WriteLine($"all answered after {clock.Elapsed.TotalSeconds:0.0} s; {unanswered} attempts got no answer or 503 and were sent again");
            Assert.True(unanswered > 0, "no call was in flight or refused while the silo was down: the test proved nothing");

            // Every call again, after the restart: the first answer each time, nothing paid twice.
            for (var i = 0; i < calls.Count; i++)
            {
                var again = await cluster.ExpectAsync(0, HttpMethod.Post, calls[i].Item1, admin, calls[i].Item2, HttpStatusCode.OK);
                Assert.Equal(answers[i], again.ToJsonString());
            }

            var ledger = await cluster.ExpectAsync(0, HttpMethod.Get, $"/v1/workers/{workerId}/ledger?limit=1000", admin, null, HttpStatusCode.OK);
            var items = ledger["items"]!.AsArray();
            Assert.Equal(1 + (2 * Calls), items.Count);
            var ids = items.Select(e => e!["entryId"]!.GetValue<string>()).ToList();
            var paidIds = answers.Values.Select(a => JsonNode.Parse(a)!).Select(a => (a["bonusId"] ?? a["payoutId"])!.GetValue<string>());
            Assert.Equal(paidIds.Order(StringComparer.Ordinal), items.Where(e => e!["kind"]!.GetValue<string>() != "reward").Select(e => e!["entryId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(15m, Amount(items[^1]!["balance"]));

            var earnings = (await cluster.ExpectAsync(0, HttpMethod.Get, $"/v1/workers/{workerId}", admin, null, HttpStatusCode.OK))["earnings"]!;
            Assert.Equal((20m, 0m, 5m, 15m), (Amount(earnings["total"]), Amount(earnings["pending"]), Amount(earnings["paid"]), Amount(earnings["balance"])));
        }
        finally
        {
            cluster.Report(output);
        }
    }

    private static decimal Amount(JsonNode? node) => decimal.Parse(node!.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
}
