using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// Three silo processes on PostgreSQL and a crowd over HTTP spread round-robin over them; one silo is lost mid-run,
/// killed (no shutdown at all) or stopped cleanly (a rolling restart). Workers retry on another silo when theirs does
/// not answer. Nothing acknowledged may be lost: every acknowledged submission is stored and exported, every lease
/// granted is in storage, no (task, worker) pair is leased twice, every task is completed and the counts are exact.
/// After a kill, the views kept in memory (project counts, worker earnings) come back to what the tables hold.
/// </summary>
[Collection(ClusterFaultsCollection.Name)]
public sealed class SiloLossTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int SiloCount = 3;

    /// <summary>How long a crowd may run (about 15 s when all is well).</summary>
    private static readonly TimeSpan CrowdDeadline = TimeSpan.FromSeconds(60);

    /// <summary>How long the views may take to come back to what storage holds once the crowd is done.</summary>
    private static readonly TimeSpan Convergence = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task KilledSilo_LosesNoAcknowledgedSubmission_AndLostInFlightWorkIsRedone()
    {
        const int Workers = 60;
        const int Tasks = 600;
        const int Overlap = 2;
        const int LeaseSeconds = 5;
        const int MaxAttempts = 10;
        const int Victim = 1;

        var clock = Stopwatch.StartNew();
        await using var cluster = new SiloCluster("kill", await postgres.CreateDatabaseAsync(), SiloCount);
        try
        {
            await cluster.StartAllAsync();
            output.WriteLine($"3 silos ready after {clock.Elapsed.TotalSeconds:0.0} s");
            var (_, projectId, taskIds, workers) = await SetUpAsync(cluster, Workers, Tasks, Overlap, LeaseSeconds, MaxAttempts);

            // Workers hold each lease a moment and long-poll their claims, so that the kill finds leases held and calls
            // waiting on the victim.
            var crowd = new FailoverCrowd(cluster, projectId, workers, CrowdDeadline, thinkTime: TimeSpan.FromMilliseconds(100), waitSeconds: 5);
            var run = crowd.RunAsync();
            await crowd.WaitForAckedAsync(Tasks * Overlap * 35 / 100, TimeSpan.FromSeconds(60));
            var killedAt = crowd.Elapsed;
            var ackedBefore = crowd.AckedCount;
            cluster[Victim]!.Kill();
            var heldAtKill = (await StoredTruth.CountsAsync(cluster.ConnectionString, projectId)).ActiveLeases;
            output.WriteLine($"killed silo {Victim} (SIGKILL) at {killedAt.TotalSeconds:0.0} s of the crowd, after {ackedBefore} acknowledged submits, " +
                $"with {heldAtKill} leases active in storage");
            await run;
            output.WriteLine($"crowd ended at {crowd.Elapsed.TotalSeconds:0.0} s ({(crowd.FinishedInTime ? "no open task left" : "DEADLINE PASSED")})");
            crowd.Print(output);
            output.WriteLine("faults injected: 1 silo killed (SIGKILL)");

            var failures = new List<string>();
            if (!crowd.FinishedInTime)
            {
                failures.Add($"the project never showed open 0 within {CrowdDeadline.TotalSeconds:0} s of the crowd's start (the crowd stops when GET project answers counts.open = 0)");
            }

            // The kill hit work in flight: leases held, and calls to the victim cut off before their answer.
            var cut = crowd.Faults
                .Where(f => f.Key.StartsWith($"silo{Victim} ", StringComparison.Ordinal) && !f.Key.EndsWith(" refused", StringComparison.Ordinal))
                .Sum(f => f.Value);
            output.WriteLine($"calls to silo {Victim} cut off in flight by the kill: {cut}");
            if (heldAtKill == 0)
            {
                failures.Add("no lease was active when the silo was killed: the kill hit no work in flight");
            }

            if (cut == 0)
            {
                failures.Add($"no call to silo {Victim} was cut off by the kill (only refused ones): the kill hit no call in flight");
            }

            failures.AddRange(cluster.UnexpectedExits(Victim));
            failures.AddRange(await SurvivorsReadyAsync(cluster, [Victim]));
            failures.AddRange(await CountsConvergeAsync(cluster, projectId));
            failures.AddRange(await EarningsMatchStorageAsync(cluster, workers));
            failures.AddRange(await crowd.VerifyAsync(0, taskIds, Overlap, MaxAttempts, output));
            output.WriteLine($"total: {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(failures.Count == 0, Failed(failures));
        }
        finally
        {
            cluster.Report(output);
        }
    }

    [Fact]
    public async Task RollingRestart_CleanStopOfOneSilo_LosesNoLease()
    {
        const int Workers = 40;
        const int Tasks = 400;
        const int Overlap = 2;
        const int LeaseSeconds = 30;
        const int MaxAttempts = 10;
        const int Holders = 12;
        const int Stopped = 1;

        var clock = Stopwatch.StartNew();
        await using var cluster = new SiloCluster("rolling", await postgres.CreateDatabaseAsync(), SiloCount);
        try
        {
            await cluster.StartAllAsync();
            output.WriteLine($"3 silos ready after {clock.Elapsed.TotalSeconds:0.0} s");
            var (_, projectId, taskIds, workers) = await SetUpAsync(cluster, Workers, Tasks, Overlap, LeaseSeconds, MaxAttempts);

            // Holders take a lease each through the silo about to stop, and submit it only once that silo is gone.
            var holders = new List<CrowdWorker>();
            for (var i = 0; i < Holders; i++)
            {
                var id = $"holder{i:00}-{Guid.NewGuid().ToString("N")[..6]}";
                var token = (await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/workers", cluster.AdminKey, new { id }, HttpStatusCode.Created))["token"]!.GetValue<string>();
                holders.Add(new CrowdWorker(id, token, Stopped));
            }

            // Workers hold each lease a while, so that many are in flight when the silo stops, and the crowd outlasts
            // the stop and the restart.
            var crowd = new FailoverCrowd(cluster, projectId, workers, CrowdDeadline, thinkTime: TimeSpan.FromMilliseconds(400));
            var run = crowd.RunAsync();
            await crowd.WaitForAckedAsync(Tasks * Overlap * 20 / 100, TimeSpan.FromSeconds(60));

            var held = new List<(CrowdWorker Holder, string LeaseId, string TaskId)>();
            foreach (var holder in holders)
            {
                var lease = await cluster.ExpectAsync(Stopped, HttpMethod.Post, $"/v1/workers/{holder.Id}/leases", holder.Token, new { projectId }, HttpStatusCode.Created);
                held.Add((holder, lease["leaseId"]!.GetValue<string>(), lease["taskId"]!.GetValue<string>()));
            }

            var stopAt = crowd.Elapsed;
            var ackedAtStop = crowd.AckedCount;
            var inFlight = crowd.Leases.Count - ackedAtStop;
            var (took, exitCode) = await cluster[Stopped]!.StopAsync(TimeSpan.FromSeconds(45));
            output.WriteLine($"stopped silo {Stopped} (SIGTERM) at {stopAt.TotalSeconds:0.0} s of the crowd, after {ackedAtStop} acknowledged submits, " +
                $"with about {inFlight} crowd leases in flight and {Holders} held by holders: took {took.TotalSeconds:0.0} s, exit code {exitCode}");

            // Every held lease is still submittable: half of them at once on the silos left, the other half on the
            // stopped silo once it is back.
            var failures = new List<string>();
            if (exitCode != 0)
            {
                failures.Add($"silo {Stopped} exited with {exitCode} on SIGTERM (a clean shutdown exits with 0)");
            }

            var heldAnswers = new List<string>();
            async Task SubmitHeldAsync(int i, int silo)
            {
                var (holder, leaseId, taskId) = held[i];
                var reply = await cluster.SendAsync(silo, HttpMethod.Post, $"/v1/workers/{holder.Id}/leases/{leaseId}/submit", holder.Token,
                    JsonNode.Parse($$"""{"result":{{FailoverCrowd.ResultJson(holder.Id, taskId, leaseId)}}}"""), TimeSpan.FromSeconds(30));
                heldAnswers.Add($"silo {silo}: {reply.Status}");
                if (reply.Status != 200)
                {
                    failures.Add($"a lease granted by silo {Stopped} before its clean stop could not be submitted on silo {silo}: {reply}");
                }
                else
                {
                    crowd.Acked[leaseId] = new AckedSubmission(leaseId, taskId, holder.Id, silo, crowd.Elapsed);
                }

                crowd.Leases.Add(new GrantedLease(leaseId, taskId, holder.Id, Stopped, stopAt));
            }

            for (var i = 0; i < held.Count; i += 2)
            {
                await SubmitHeldAsync(i, i % 4 == 0 ? 0 : 2);
            }

            // Start it again on the same ports; the crowd goes on meanwhile and uses it again once it answers.
            var restart = Stopwatch.StartNew();
            await cluster.StartSiloAsync(Stopped);
            output.WriteLine($"silo {Stopped} started again in {restart.Elapsed.TotalSeconds:0.0} s, at {crowd.Elapsed.TotalSeconds:0.0} s of the crowd");
            for (var i = 1; i < held.Count; i += 2)
            {
                await SubmitHeldAsync(i, Stopped);
            }

            output.WriteLine($"held leases submitted after the stop: {string.Join(", ", heldAnswers.GroupBy(a => a).Select(g => $"{g.Key} x{g.Count()}"))}");

            await run;
            output.WriteLine($"crowd ended at {crowd.Elapsed.TotalSeconds:0.0} s ({(crowd.FinishedInTime ? "no open task left" : "DEADLINE PASSED")})");
            crowd.Print(output);
            output.WriteLine("faults injected: 1 clean stop (SIGTERM) and restart");
            if (!crowd.FinishedInTime)
            {
                failures.Add($"the project never showed open 0 within {CrowdDeadline.TotalSeconds:0} s of the crowd's start (the crowd stops when GET project answers counts.open = 0)");
            }

            // A clean stop loses no lease: none expired, none failed.
            failures.AddRange(crowd.ExpiredOnSubmit.Take(5).Select(e => "a lease expired across a clean stop: " + e));
            failures.AddRange(cluster.UnexpectedExits());
            failures.AddRange(await SurvivorsReadyAsync(cluster, []));
            var allWorkers = workers.Concat(holders).ToList();
            failures.AddRange(await crowd.VerifyAsync(0, taskIds, Overlap, MaxAttempts, output, allWorkers));
            output.WriteLine($"total: {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(failures.Count == 0, Failed(failures));
        }
        finally
        {
            cluster.Report(output);
        }
    }

    /// <summary>The project view's counts equal what the tables hold, within <see cref="Convergence"/>.</summary>
    private async Task<List<string>> CountsConvergeAsync(SiloCluster cluster, string projectId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var stored = await StoredTruth.CountsAsync(cluster.ConnectionString, projectId);
            var view = (await cluster.ExpectOnAnyAsync(0, HttpMethod.Get, $"/v1/projects/{projectId}", cluster.AdminKey, null, HttpStatusCode.OK))["counts"]!;
            var shown = new StoredCounts(
                view["open"]!.GetValue<long>(), view["completed"]!.GetValue<long>(), view["deadLettered"]!.GetValue<long>(),
                view["activeLeases"]!.GetValue<long>(), view["submissions"]!.GetValue<long>());
            if (shown == stored)
            {
                output.WriteLine($"project counts equal the tables after {clock.Elapsed.TotalSeconds:0.0} s: {shown}");
                return [];
            }

            if (clock.Elapsed > Convergence)
            {
                return [$"project counts: the view shows {shown}; the tables hold {stored} ({Convergence.TotalSeconds:0} s after the crowd)"];
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Every worker's earnings equal the rewards of its accepted submissions in storage (no bonuses here).</summary>
    private async Task<List<string>> EarningsMatchStorageAsync(SiloCluster cluster, IReadOnlyList<CrowdWorker> workers)
    {
        var rewards = await StoredTruth.AcceptedRewardsAsync(cluster.ConnectionString, workers.Select(w => w.Id));
        var problems = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (worker, _) =>
        {
            var view = await cluster.ExpectOnAnyAsync(0, HttpMethod.Get, $"/v1/workers/{worker.Id}", cluster.AdminKey, null, HttpStatusCode.OK);
            var earned = view["earnings"]!["total"]!.GetValue<decimal>();
            var stored = rewards.GetValueOrDefault(worker.Id);
            if (earned != stored)
            {
                problems.Add($"worker {worker.Id}: earnings {earned}, accepted submissions in storage reward {stored}: {view.ToJsonString()}");
            }
        });
        output.WriteLine($"earnings checked for {workers.Count} workers against storage: {problems.Count} differ; total stored {rewards.Values.Sum()}");
        return [.. problems.Take(5)];
    }

    private static string Failed(List<string> failures) =>
        $"{failures.Count} rule(s) broken:{Environment.NewLine}" + string.Join(Environment.NewLine, failures.Take(30));

    /// <summary>Creates a requester, a project of <paramref name="tasks"/> tasks and the workers, homed round-robin on the silos.</summary>
    internal static async Task<(string OwnerKey, string ProjectId, List<string> TaskIds, List<CrowdWorker> Workers)> SetUpAsync(
        SiloCluster cluster, int workerCount, int tasks, int overlap, int leaseSeconds, int maxAttempts)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var ownerKey = (await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/requesters", cluster.AdminKey, new { id = "req-" + suffix, name = "Crowd owner" }, HttpStatusCode.Created))
            ["apiKey"]!.GetValue<string>();
        var projectId = "prj-" + suffix;
        await cluster.ExpectAsync(1, HttpMethod.Post, "/v1/projects", ownerKey,
            new { id = projectId, name = "Crowd across silos", overlap, leaseSeconds, maxAttempts, reward = 0.01m }, HttpStatusCode.Created);
        var json = new JsonArray(Enumerable.Range(0, tasks).Select(i => (JsonNode)new JsonObject { ["id"] = $"t{i:0000}", ["payload"] = new JsonObject { ["n"] = i } }).ToArray());
        var import = await cluster.ExpectAsync(2 % cluster.Size, HttpMethod.Post, $"/v1/projects/{projectId}/tasks", ownerKey, new JsonObject { ["tasks"] = json }, HttpStatusCode.OK);
        var taskIds = import["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
        Assert.Equal(tasks, import["created"]!.GetValue<int>());

        var workers = new CrowdWorker[workerCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, workerCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var id = $"w{i:000}-{suffix}";
            var token = (await cluster.ExpectAsync(i % cluster.Size, HttpMethod.Post, "/v1/workers", cluster.AdminKey, new { id, maxActiveLeases = 5 }, HttpStatusCode.Created))
                ["token"]!.GetValue<string>();
            workers[i] = new CrowdWorker(id, token, i % cluster.Size);
        });
        return (ownerKey, projectId, taskIds, workers.ToList());
    }

    /// <summary>Every silo still running answers ready, and the membership table shows it active.</summary>
    private async Task<List<string>> SurvivorsReadyAsync(SiloCluster cluster, int[] lost)
    {
        var failures = new List<string>();
        var survivors = Enumerable.Range(0, cluster.Size).Except(lost).ToList();
        foreach (var i in survivors)
        {
            var ready = false;
            for (var attempt = 0; attempt < 60 && !ready; attempt++)
            {
                ready = await cluster[i]!.IsReadyAsync();
                if (!ready)
                {
                    await Task.Delay(500);
                }
            }

            if (!ready)
            {
                failures.Add($"silo {i} is not ready 30 s after the crowd (exited: {cluster[i]!.HasExited})");
            }
        }

        var membership = await cluster.MembershipAsync();
        output.WriteLine("membership: " + string.Join(", ", membership.Select(m => $"{m.Port}/{m.Generation} {m.Status}")));
        var active = await cluster.ActivePortsAsync();
        var expected = survivors.Select(i => cluster.SettingsFor(i).SiloPort).Order().ToList();
        if (!active.SequenceEqual(expected))
        {
            failures.Add($"membership: expected the silos on ports {string.Join(",", expected)} active, found {string.Join(",", active)} active");
        }

        return failures;
    }
}
