using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// PostgreSQL goes away under a steady load of claims and submits against one silo process (storage and clustering on
/// PostgreSQL, as in production): shut down for ten seconds (connections refused), or stopped with SIGSTOP for twenty
/// (connections accepted, nothing answered). While it is away, every call that needs storage answers
/// <c>503 unavailable</c> problem+json with <c>Retry-After</c>, within the 15 s a client waits: never a 500, never a
/// hang, never a false success and never a false "no work". Once it is back the service recovers by itself within a
/// bounded time, every lease and submission acknowledged before, during or after the outage is in storage, every lease
/// granted to a claim whose answer was lost shows in its worker's lease list, and the project can be finished.
/// </summary>
[Collection(ClusterFaultsCollection.Name)]
public sealed class DatabaseOutageTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Tasks = 1000;
    private const int WorkerCount = 6;
    private const int LeaseSeconds = 60;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    // Calls to a silent database answer only when a deadline ends them, so the outage lasts long enough for whole calls
    // to start and end inside it.
    private static readonly TimeSpan SilentOutage = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private readonly ConcurrentQueue<Call> _calls = new();
    private readonly ConcurrentDictionary<string, (string WorkerId, string TaskId)> _granted = new();

    // Leases a claim answered 503 (or nothing) for, found afterwards in the worker's lease list.
    private readonly ConcurrentDictionary<string, (string WorkerId, string TaskId)> _found = new();
    private readonly ConcurrentDictionary<string, (string WorkerId, string TaskId, TimeSpan At)> _acked = new();
    private readonly ConcurrentQueue<string> _unexpected = new();
    private readonly ConcurrentQueue<string> _notes = new();
    private readonly ConcurrentBag<string> _importedOk = [];
    private readonly ConcurrentBag<string> _createdOk = [];
    private readonly Stopwatch _clock = new();
    private volatile bool _paced = true;
    private volatile bool _stop;

    private sealed record Call(string Op, string WorkerId, string? LeaseId, TimeSpan Start, TimeSpan End, Reply Reply);

    /// <summary>PostgreSQL is shut down: connections are refused at once.</summary>
    public const string Refusing = "refusing";

    /// <summary>
    /// Every PostgreSQL process is stopped (SIGSTOP): connections are still accepted and open ones stay up, but nothing
    /// answers, so only the client's own deadlines end a call.
    /// </summary>
    public const string Silent = "silent";

    [Theory]
    [InlineData(Refusing)]
    [InlineData(Silent)]
    public async Task DatabaseOutage_Answers503WithRetryAfter_NeverAFalseSuccess_AndRecoversByItself(string how)
    {
        var total = Stopwatch.StartNew();
        // A silent database answers nothing, so the silo's own deadlines decide how long a call waits: those of the
        // product, not the short grain-call timeout the cluster tests otherwise set.
        var settings = how == Silent
            ? SiloCluster.FastFailureDetection.Where(s => s.Key != "Orleans:Messaging:ResponseTimeout").ToDictionary()
            : null;
        await using var cluster = new SiloCluster("outage", await postgres.CreateDatabaseAsync(), size: 1, settings);
        var failures = new List<string>();
        try
        {
            await cluster.StartAllAsync();
            output.WriteLine($"silo ready after {total.Elapsed.TotalSeconds:0.0} s: {cluster[0]}");

            var suffix = Guid.NewGuid().ToString("N")[..8];
            var ownerKey = (await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/requesters", cluster.AdminKey, new { id = "req-" + suffix, name = "Outage" }, HttpStatusCode.Created))
                ["apiKey"]!.GetValue<string>();
            var projectId = "prj-" + suffix;
            await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/projects", ownerKey,
                new { id = projectId, name = "Through an outage", overlap = 1, leaseSeconds = LeaseSeconds, maxAttempts = 10, reward = 0.01m }, HttpStatusCode.Created);
            var json = new JsonArray(Enumerable.Range(0, Tasks).Select(i => (JsonNode)new JsonObject { ["id"] = $"t{i:0000}", ["payload"] = new JsonObject { ["n"] = i } }).ToArray());
            var taskIds = (await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/projects/{projectId}/tasks", ownerKey, new JsonObject { ["tasks"] = json }, HttpStatusCode.OK))
                ["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
            var workers = new List<CrowdWorker>();
            for (var i = 0; i < WorkerCount; i++)
            {
                var id = $"w{i}-{suffix}";
                var token = (await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/workers", cluster.AdminKey, new { id }, HttpStatusCode.Created))["token"]!.GetValue<string>();
                workers.Add(new CrowdWorker(id, token, 0));
            }

            // A lease held across the whole outage (heartbeated meanwhile), and a second project for imports.
            var holderId = $"holder-{suffix}";
            var holder = new CrowdWorker(holderId,
                (await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/workers", cluster.AdminKey, new { id = holderId }, HttpStatusCode.Created))["token"]!.GetValue<string>(), 0);
            var heldLease = await cluster.ExpectAsync(0, HttpMethod.Post, $"/v1/workers/{holderId}/leases", holder.Token, new { projectId }, HttpStatusCode.Created);
            var heldLeaseId = heldLease["leaseId"]!.GetValue<string>();
            var heldTaskId = heldLease["taskId"]!.GetValue<string>();
            _granted[heldLeaseId] = (holderId, heldTaskId);
            var sideProjectId = "side-" + suffix;
            await cluster.ExpectAsync(0, HttpMethod.Post, "/v1/projects", ownerKey, new { id = sideProjectId, name = "Imports through an outage" }, HttpStatusCode.Created);

            // The load, a readiness probe and the side calls beside it.
            _clock.Start();
            var health = new ConcurrentQueue<(TimeSpan Start, TimeSpan End, int Status)>();
            var load = workers.Select(w => Task.Run(() => WorkAsync(cluster, projectId, w))).ToList();
            var probe = Task.Run(async () =>
            {
                while (!_stop)
                {
                    var start = _clock.Elapsed;
                    var reply = await cluster.SendAsync(0, HttpMethod.Get, "/health/ready", null, null, CallTimeout);
                    health.Enqueue((start, _clock.Elapsed, reply.Status));
                    await Task.Delay(500);
                }
            });

            var side = Task.Run(() => SideAsync(cluster, ownerKey, sideProjectId, holder, heldLeaseId, suffix));

            await Task.Delay(TimeSpan.FromSeconds(3));
            var stopBegin = _clock.Elapsed;
            TimeSpan stopEnd, startBegin, startEnd;
            try
            {
                if (how == Silent)
                {
                    output.WriteLine($"{postgres.Pause()} PostgreSQL processes stopped with SIGSTOP");
                }
                else
                {
                    await postgres.StopAsync();
                }

                stopEnd = _clock.Elapsed;
                await Task.Delay(how == Silent ? SilentOutage : Outage);
            }
            finally
            {
                startBegin = _clock.Elapsed;
                postgres.Resume();
                await postgres.StartAsync();
                startEnd = _clock.Elapsed;
            }

            output.WriteLine($"PostgreSQL {(how == Silent ? "paused" : "stopped")} at {stopBegin.TotalSeconds:0.0}-{stopEnd.TotalSeconds:0.0} s, " +
                $"{(how == Silent ? "resumed" : "started again")} at {startBegin.TotalSeconds:0.0}-{startEnd.TotalSeconds:0.0} s");

            // Recovery: a claim and a submit that began after the restart succeed, and the silo is ready again.
            var recovered = TimeSpan.Zero;
            while (_clock.Elapsed - startEnd < RecoveryBound + TimeSpan.FromSeconds(5) && !cluster[0]!.HasExited)
            {
                var calls = _calls.Where(c => c.Start >= startEnd).ToList();
                var claimOk = calls.Where(c => c.Op == "claim" && c.Reply.Status == 201).Select(c => c.End).DefaultIfEmpty(TimeSpan.MaxValue).Min();
                var submitOk = calls.Where(c => c.Op == "submit" && c.Reply.Status == 200).Select(c => c.End).DefaultIfEmpty(TimeSpan.MaxValue).Min();
                var readyOk = health.Where(h => h.Start >= startEnd && h.Status == 200).Select(h => h.End).DefaultIfEmpty(TimeSpan.MaxValue).Min();
                if (claimOk != TimeSpan.MaxValue && submitOk != TimeSpan.MaxValue && readyOk != TimeSpan.MaxValue)
                {
                    recovered = new[] { claimOk, submitOk, readyOk }.Max() - startEnd;
                    break;
                }

                await Task.Delay(200);
            }

            output.WriteLine(recovered > TimeSpan.Zero
                ? $"recovered {recovered.TotalSeconds:0.0} s after PostgreSQL was back (claim 201, submit 200 and ready 200 seen)"
                : $"NOT recovered within {(RecoveryBound + TimeSpan.FromSeconds(5)).TotalSeconds:0} s after PostgreSQL was back");
            if (recovered == TimeSpan.Zero || recovered > RecoveryBound)
            {
                failures.Add($"the service did not recover by itself within {RecoveryBound.TotalSeconds:0} s of PostgreSQL's restart " +
                    $"(recovered: {(recovered == TimeSpan.Zero ? "never" : recovered.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s")}); " +
                    $"last answers: {string.Join(" | ", _calls.Reverse().Take(3).Select(c => c.Reply.ToString()))}");
            }

            // The side calls go on a little after the recovery, then the lease held across the outage is submitted.
            await Task.Delay(TimeSpan.FromSeconds(2));
            _paced = false;
            await side;
            var heldSubmit = await CallAsync(cluster, "submit", holder, heldLeaseId, $"/v1/workers/{holderId}/leases/{heldLeaseId}/submit",
                JsonNode.Parse($$"""{"result":{{FailoverCrowd.ResultJson(holderId, heldTaskId, heldLeaseId)}}}""")!);
            output.WriteLine($"the lease held (and heartbeated) across the outage, submitted after it: {heldSubmit.Status}");
            if (heldSubmit.Status == 200)
            {
                _acked[heldLeaseId] = (holderId, heldTaskId, _clock.Elapsed);
            }
            else
            {
                failures.Add($"the lease held across the outage could not be submitted after it: {heldSubmit}");
            }

            // Finish the project at full speed.
            var finish = Stopwatch.StartNew();
            var finished = false;
            while (finish.Elapsed < TimeSpan.FromSeconds(LeaseSeconds + 30) && !finished && !cluster[0]!.HasExited)
            {
                var project = await cluster.SendAsync(0, HttpMethod.Get, $"/v1/projects/{projectId}", cluster.AdminKey, null, CallTimeout);
                finished = project.Status == 200 && project.Response!.Json["counts"]!["open"]!.GetValue<int>() == 0;
                await Task.Delay(500);
            }

            _stop = true;
            await Task.WhenAll(load.Append(probe));
            output.WriteLine($"finish phase: {finish.Elapsed.TotalSeconds:0.0} s ({(finished ? "no open task left" : "OPEN TASKS LEFT")})");
            if (cluster.UnexpectedExits().ToList() is { Count: > 0 } exits)
            {
                throw new Xunit.Sdk.XunitException(string.Join(Environment.NewLine, exits));
            }
            if (!finished)
            {
                failures.Add($"the project could not be finished within {LeaseSeconds + 30} s after the recovery");
            }

            // What the calls saw, phase by phase.
            string Phase(Call c) =>
                c.End < stopBegin ? "before" :
                c.Start >= stopEnd && c.End <= startBegin ? "outage" :
                c.Start >= startEnd ? "after" : "edges";
            foreach (var phase in new[] { "before", "edges", "outage", "after" })
            {
                var calls = _calls.Where(c => Phase(c) == phase).ToList();
                var byStatus = calls.GroupBy(c => $"{c.Op} {(c.Reply.Answered ? c.Reply.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) + (c.Reply.ProblemType is { } t ? "/" + t : "") : "no answer (" + c.Reply.Fault + ")")}")
                    .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}");
                output.WriteLine($"{phase}: {calls.Count} calls: {string.Join(", ", byStatus)}");
            }

            var healthByPhase = health.GroupBy(h => h.End < stopBegin ? "before" : h.Start >= stopEnd && h.End <= startBegin ? "outage" : h.Start >= startEnd ? "after" : "edges")
                .Select(g => $"{g.Key}: {string.Join(",", g.GroupBy(h => h.Status).Select(s => $"{s.Key} x{s.Count()}"))}");
            output.WriteLine($"/health/ready: {string.Join("; ", healthByPhase)}");
            var slowest = _calls.Where(c => Phase(c) is "outage" or "edges").GroupBy(c => c.Op)
                .Select(g => $"{g.Key} {g.Max(c => c.End - c.Start).TotalSeconds:0.0} s").OrderBy(t => t, StringComparer.Ordinal);
            output.WriteLine($"slowest answer by call during the outage (and its edges): {string.Join(", ", slowest)}");
            var retryAfters = _calls.Where(c => c.Reply.Status == 503).GroupBy(c => c.Reply.RetryAfter ?? "(none)").Select(g => $"{g.Key} x{g.Count()}");
            output.WriteLine($"Retry-After on 503s: {string.Join(", ", retryAfters)}");
            var serverErrors = _calls.Where(c => c.Reply.Status >= 500).GroupBy(c => c.Reply.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}");
            output.WriteLine($"calls: {_calls.Count}; faults injected: 1 PostgreSQL outage ({how}) of {(how == Silent ? SilentOutage : Outage).TotalSeconds:0} s; 5xx seen by status: {string.Join(", ", serverErrors.DefaultIfEmpty("none"))}");

            // During the outage: only well-formed 503s; no 500, no hang, no false success, no false "no work".
            var outage = _calls.Where(c => Phase(c) == "outage").ToList();
            if (!outage.Any(c => c.Reply.Status == 503))
            {
                failures.Add("no call answered 503 during the outage: the load did not reach storage, so the test proved nothing");
            }

            foreach (var call in outage.Where(c => c.Reply.UnavailableShapeProblem() is not null).Take(10))
            {
                failures.Add($"during the outage, {call.Op} answered other than 503 unavailable with Retry-After " +
                    $"({call.Start.TotalSeconds:0.0}-{call.End.TotalSeconds:0.0} s): {call.Reply.UnavailableShapeProblem()}");
            }

            // Anywhere: no 5xx but a well-formed 503, no hang.
            foreach (var call in _calls.Where(c => Phase(c) != "outage" && ((c.Reply.Status >= 500 && c.Reply.UnavailableShapeProblem() is not null) || !c.Reply.Answered)).Take(10))
            {
                failures.Add($"{Phase(call)} (outside the outage window): {call.Op} ({call.Start.TotalSeconds:0.0}-{call.End.TotalSeconds:0.0} s): " +
                    (call.Reply.Answered ? call.Reply.UnavailableShapeProblem() : call.Reply.ToString()));
            }

            var notReady = health.Where(h => h.Start >= stopEnd && h.End <= startBegin && h.Status == 200).ToList();
            if (notReady.Count > 0)
            {
                failures.Add($"/health/ready answered 200 {notReady.Count} times while PostgreSQL was down");
            }

            failures.AddRange(_unexpected.Take(10).Select(u => "unexpected: " + u));
            failures.AddRange(cluster.UnexpectedExits());

            // Nothing acknowledged is lost; nothing answered 2xx that storage does not hold.
            var views = new ConcurrentDictionary<string, JsonNode>();
            await Parallel.ForEachAsync(taskIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (taskId, _) =>
                views[taskId] = await cluster.ExpectAsync(0, HttpMethod.Get, $"/v1/projects/{projectId}/tasks/{taskId}", cluster.AdminKey, null, HttpStatusCode.OK));
            var storedLeases = views.Values.SelectMany(v => v["leases"]!.AsArray()).ToDictionary(l => l!["leaseId"]!.GetValue<string>(), l => l!["state"]!.GetValue<string>());
            var storedSubmissions = views.Values.SelectMany(v => v["submissions"]!.AsArray().Select(s => s!["result"]?["lease"]?.GetValue<string>())).ToHashSet();
            var lostLeases = _granted.Keys.Where(l => !storedLeases.ContainsKey(l)).ToList();
            var lostSubmissions = _acked.Where(a => !storedSubmissions.Contains(a.Key)).ToList();
            failures.AddRange(lostLeases.Take(5).Select(l => $"a lease answered 201 is not in storage: {l} {_granted[l]}"));
            failures.AddRange(lostSubmissions.Take(5).Select(a => $"a submit answered 200 is not in storage: lease {a.Key} {a.Value}"));
            var unfinished = _granted.Keys.Where(l => storedLeases.TryGetValue(l, out var state) && state != "submitted").ToList();
            failures.AddRange(unfinished.Take(5).Select(l => $"a lease answered 201 ended {storedLeases[l]}, not submitted: {l} {_granted[l]}"));
            var unknownLeases = storedLeases.Keys.Count(l => !_granted.ContainsKey(l));
            var expired = storedLeases.Where(l => l.Value == "expired").Select(l => l.Key).ToList();
            failures.AddRange(expired.Take(5).Select(l =>
                $"lease {l} expired: granted by a claim whose answer was lost, it never showed in the worker's lease list " +
                "(which the README tells a client to read after a failed claim), so the worker could not finish it"));

            var missingImports = new List<string>();
            foreach (var taskId in _importedOk)
            {
                var task = await cluster.SendAsync(0, HttpMethod.Get, $"/v1/projects/{sideProjectId}/tasks/{taskId}", cluster.AdminKey, null, CallTimeout);
                if (task.Status != 200)
                {
                    missingImports.Add($"{taskId}: {task}");
                }
            }

            var missingWorkers = new List<string>();
            foreach (var workerId in _createdOk)
            {
                var worker = await cluster.SendAsync(0, HttpMethod.Get, $"/v1/workers/{workerId}", cluster.AdminKey, null, CallTimeout);
                if (worker.Status != 200)
                {
                    missingWorkers.Add($"{workerId}: {worker}");
                }
            }

            failures.AddRange(missingImports.Take(5).Select(m => "an import answered 200 is not in storage: " + m));
            failures.AddRange(missingWorkers.Take(5).Select(m => "a worker answered 201 is not in storage: " + m));
            output.WriteLine($"side calls: {_importedOk.Count} imports and {_createdOk.Count} worker creations answered 2xx, " +
                $"{missingImports.Count + missingWorkers.Count} of them missing from storage");

            var exported = new List<JsonNode>();
            string? after = null;
            for (var page = 0; page < 20; page++)
            {
                var path = $"/v1/projects/{projectId}/results?limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
                var body = await cluster.ExpectAsync(0, HttpMethod.Get, path, cluster.AdminKey, null, HttpStatusCode.OK);
                exported.AddRange(body["items"]!.AsArray().Select(i => i!));
                after = body["next"]?.GetValue<string>();
                if (after is null)
                {
                    break;
                }
            }

            var exportedLeases = exported.SelectMany(e => e["submissions"]!.AsArray().Select(s => s!["result"]?["lease"]?.GetValue<string>())).ToHashSet();
            var notExported = _acked.Keys.Where(l => !exportedLeases.Contains(l)).ToList();
            failures.AddRange(notExported.Take(5).Select(l => $"a submit answered 200 is not in the results export: lease {l} {_acked[l]}"));
            var counts = (await cluster.ExpectAsync(0, HttpMethod.Get, $"/v1/projects/{projectId}", cluster.AdminKey, null, HttpStatusCode.OK))["counts"]!;
            var actual = $"total {counts["total"]}, open {counts["open"]}, completed {counts["completed"]}, deadLettered {counts["deadLettered"]}, " +
                $"activeLeases {counts["activeLeases"]}, submissions {counts["submissions"]}";
            var expected = $"total {Tasks}, open 0, completed {Tasks}, deadLettered 0, activeLeases 0, submissions {storedSubmissions.Count}";
            if (finished && actual != expected)
            {
                failures.Add($"project counts: expected {expected}; got {actual}");
            }

            if (finished && (exported.Count != Tasks || storedSubmissions.Count != Tasks))
            {
                failures.Add($"expected {Tasks} tasks exported with one submission each; exported {exported.Count}, stored submissions {storedSubmissions.Count}");
            }

            output.WriteLine($"leases: {_granted.Count} answered 201, {storedLeases.Count} stored ({string.Join(", ", storedLeases.Values.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}), " +
                $"{unknownLeases} stored but never answered 201 ({_found.Count} of them found in the worker's lease list); submits: {_acked.Count} answered 200, {storedSubmissions.Count} stored, {exported.Count} tasks exported");
            output.WriteLine($"lost: {lostLeases.Count} leases, {lostSubmissions.Count} submissions, {notExported.Count} missing from the export; " +
                $"acknowledged leases not submitted in the end: {unfinished.Count}");
            foreach (var note in _notes.Take(10))
            {
                output.WriteLine("note: " + note);
            }

            output.WriteLine($"total: {total.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            _stop = true;
            postgres.Resume();
            await postgres.StartAsync();
            cluster.Report(output, maxLinesPerSilo: 20);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} rule(s) broken:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(30))}");
    }

    private Task<Reply> CallAsync(SiloCluster cluster, string op, CrowdWorker worker, string? leaseId, string path, object body) =>
        CallAsync(cluster, op, worker.Token, worker.Id, leaseId, path, body);

    private async Task<Reply> CallAsync(SiloCluster cluster, string op, string bearer, string caller, string? leaseId, string path, object body)
    {
        var start = _clock.Elapsed;
        var reply = await cluster.SendAsync(0, HttpMethod.Post, path, bearer, body, CallTimeout);
        _calls.Enqueue(new Call(op, caller, leaseId, start, _clock.Elapsed, reply));
        return reply;
    }

    /// <summary>
    /// Beside the crowd, once a second until the finish phase: an import into another project, a new worker, and a
    /// heartbeat of a lease held across the whole outage. Each needs storage, so each must answer 503 while it is away.
    /// </summary>
    private async Task SideAsync(SiloCluster cluster, string ownerKey, string sideProjectId, CrowdWorker holder, string heldLeaseId, string suffix)
    {
        for (var n = 0; _paced && !_stop && n < 120; n++)
        {
            var taskId = $"s{n:000}";
            var import = await CallAsync(cluster, "import", ownerKey, "owner", null, $"/v1/projects/{sideProjectId}/tasks",
                JsonNode.Parse($$$"""{"tasks":[{"id":"{{{taskId}}}","payload":{"n":{{{n}}}}}]}""")!);
            if (import.Status == 200)
            {
                _importedOk.Add(taskId);
            }
            else if (import.Status != 503)
            {
                _unexpected.Enqueue($"import at {_clock.Elapsed.TotalSeconds:0.0} s: {import}");
            }

            var workerId = $"late{n:000}-{suffix}";
            var created = await CallAsync(cluster, "create-worker", cluster.AdminKey, "admin", null, "/v1/workers", new { id = workerId });
            if (created.Status == 201)
            {
                _createdOk.Add(workerId);
            }
            else if (created.Status != 503)
            {
                _unexpected.Enqueue($"worker creation at {_clock.Elapsed.TotalSeconds:0.0} s: {created}");
            }

            var heartbeat = await CallAsync(cluster, "heartbeat", holder, heldLeaseId, $"/v1/workers/{holder.Id}/leases/{heldLeaseId}/heartbeat", new { extendSeconds = LeaseSeconds });
            if (heartbeat.Status is not (200 or 503))
            {
                _unexpected.Enqueue($"heartbeat of a lease held across the outage at {_clock.Elapsed.TotalSeconds:0.0} s: {heartbeat}");
            }

            await Task.Delay(700);
        }
    }

    /// <summary>Claims and submits until told to stop; paced (a few cycles a second) until the finish phase.</summary>
    private async Task WorkAsync(SiloCluster cluster, string projectId, CrowdWorker worker)
    {
        // Whether a claim failed since the worker's lease list was last read.
        var lost = false;
        while (!_stop)
        {
            var claim = await CallAsync(cluster, "claim", worker, null, $"/v1/workers/{worker.Id}/leases", new { projectId });
            switch (claim.Status)
            {
                case 201:
                    break;
                case 204:
                    if (_paced)
                    {
                        // Hundreds of tasks are open until the finish phase: "no work" is false while they are.
                        _unexpected.Enqueue($"claim answered 204 while tasks were open, at {_clock.Elapsed.TotalSeconds:0.0} s: {claim}");
                    }

                    await Task.Delay(200);
                    continue;
                case 503:
                case 0:
                    lost = true;
                    await Task.Delay(500);
                    continue;
                case 429:
                    // The per-worker rate limit (a crowd catching up after the outage): wait as told, nothing was granted.
                    await Task.Delay(SiloCluster.RetryAfter(claim));
                    continue;
                default:
                    _unexpected.Enqueue($"claim at {_clock.Elapsed.TotalSeconds:0.0} s: {claim}");
                    await Task.Delay(500);
                    continue;
            }

            var lease = claim.Response!.Json;
            var leaseId = lease["leaseId"]!.GetValue<string>();
            var taskId = lease["taskId"]!.GetValue<string>();
            _granted[leaseId] = (worker.Id, taskId);
            await Task.Delay(_paced ? 100 : 0);
            await SubmitAsync(cluster, worker, leaseId, taskId);
            if (lost)
            {
                lost = !await FinishLostLeasesAsync(cluster, worker);
            }

            await Task.Delay(_paced ? 150 : 0);
        }
    }

    /// <summary>
    /// What the README tells a client to do after a claim that failed: a claim answered 503 (or not at all) may have been
    /// granted all the same, and the worker's lease list shows it; this worker holds no other lease between cycles, so
    /// each one listed is such a lease, and it is finished rather than left to expire. False when the list was not read.
    /// </summary>
    private async Task<bool> FinishLostLeasesAsync(SiloCluster cluster, CrowdWorker worker)
    {
        var start = _clock.Elapsed;
        var list = await cluster.SendAsync(0, HttpMethod.Get, $"/v1/workers/{worker.Id}/leases", worker.Token, null, CallTimeout);
        _calls.Enqueue(new Call("list-leases", worker.Id, null, start, _clock.Elapsed, list));
        if (list.Status != 200)
        {
            if (list.Status != 503 && list.Answered)
            {
                _unexpected.Enqueue($"lease list at {_clock.Elapsed.TotalSeconds:0.0} s: {list}");
            }

            return false;
        }

        foreach (var lease in list.Response!.Json["items"]!.AsArray())
        {
            var leaseId = lease!["leaseId"]!.GetValue<string>();
            var taskId = lease["taskId"]!.GetValue<string>();
            _found[leaseId] = (worker.Id, taskId);
            await SubmitAsync(cluster, worker, leaseId, taskId);
        }

        return true;
    }

    private async Task SubmitAsync(SiloCluster cluster, CrowdWorker worker, string leaseId, string taskId)
    {
        var path = $"/v1/workers/{worker.Id}/leases/{leaseId}/submit";
        var body = JsonNode.Parse($$"""{"result":{{FailoverCrowd.ResultJson(worker.Id, taskId, leaseId)}}}""")!;
        var refused = false;
        for (var attempt = 1; ; attempt++)
        {
            // Even when told to stop, a granted lease is submitted: the check afterwards expects every one submitted.
            var submit = await CallAsync(cluster, "submit", worker, leaseId, path, body);
            if (submit.Status == 200)
            {
                _acked[leaseId] = (worker.Id, taskId, _clock.Elapsed);
                break;
            }

            if (submit.Status is 503 or 0 && attempt < 200)
            {
                refused = true;
                await Task.Delay(500);
                continue;
            }

            if (submit.Status == 429 && attempt < 200)
            {
                // Refused before it reached the lease: it stored nothing, so it is simply sent again when told.
                await Task.Delay(SiloCluster.RetryAfter(submit));
                continue;
            }

            if (submit.Status == 409 && submit.ProblemType == "lease-not-active" && refused)
            {
                _notes.Enqueue($"a submit answered 503 (or nothing) and was stored nevertheless: lease {leaseId} of {worker.Id}/{taskId}: {submit}");
                break;
            }

            _unexpected.Enqueue($"submit of {worker.Id}/{taskId} (attempt {attempt}) at {_clock.Elapsed.TotalSeconds:0.0} s: {submit}");
            break;
        }
    }
}
