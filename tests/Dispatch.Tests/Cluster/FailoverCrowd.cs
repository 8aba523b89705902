using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Dispatch.Tests.Cluster;

/// <summary>A worker of a crowd: its id, its token and the silo it calls first.</summary>
public sealed record CrowdWorker(string Id, string Token, int Home);

/// <summary>A lease the server granted (201) as the worker saw it.</summary>
public sealed record GrantedLease(string LeaseId, string TaskId, string WorkerId, int Silo, TimeSpan At);

/// <summary>A submission the server acknowledged (200).</summary>
public sealed record AckedSubmission(string LeaseId, string TaskId, string WorkerId, int Silo, TimeSpan At);

/// <summary>
/// A crowd of workers over HTTP against a <see cref="SiloCluster"/>: each claims a task of one project, submits it,
/// and claims again until the project has no open task. A worker calls its home silo first and another silo when a
/// silo does not answer (refused, reset, timeout); a <c>503</c> is retried after a short wait. Every call, every
/// granted lease and every acknowledged submission is recorded so that a test can check afterwards that nothing
/// acknowledged was lost.
/// </summary>
/// <param name="thinkTime">How long a worker holds each lease before it submits (a person labelling); zero by default.</param>
/// <param name="waitSeconds">How long a claim waits for work (a long poll); one second by default.</param>
public sealed class FailoverCrowd(
    SiloCluster cluster, string projectId, IReadOnlyList<CrowdWorker> workers, TimeSpan deadline, TimeSpan thinkTime = default, int waitSeconds = 1)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly ConcurrentDictionary<string, int> _faults = new();
    private readonly ConcurrentQueue<string> _unexpected = new();
    private readonly ConcurrentQueue<string> _notes = new();
    private readonly Stopwatch _clock = new();
    private int _calls;
    private int _acked;
    private volatile bool _done;

    public ConcurrentBag<GrantedLease> Leases { get; } = [];

    public ConcurrentDictionary<string, AckedSubmission> Acked { get; } = new();

    /// <summary>Submits that got no answer (or a 503) at least once and never a 200: whether they are stored is unknown.</summary>
    public ConcurrentDictionary<string, string> Uncertain { get; } = new();

    /// <summary>Leases whose submit answered <c>409 lease-expired</c>: what and when.</summary>
    public ConcurrentQueue<string> ExpiredOnSubmit { get; } = new();

    /// <summary>Claims that got no answer from some silo: each may have left a lease nobody knows of.</summary>
    public int UnansweredClaims;

    /// <summary>Claims answered <c>409 conflict</c> (the worker's active-lease limit).</summary>
    public int ClaimConflicts;

    public int Calls => _calls;

    public int AckedCount => Volatile.Read(ref _acked);

    public TimeSpan Elapsed => _clock.Elapsed;

    public bool FinishedInTime { get; private set; }

    /// <summary>Answers by "operation status[/problem type]".</summary>
    public IReadOnlyDictionary<string, int> Answers => _answers;

    /// <summary>Attempts without an answer by "silo N: kind".</summary>
    public IReadOnlyDictionary<string, int> Faults => _faults;

    /// <summary>Answers that no rule allows (any 5xx but a well-formed 503, a 404 on a granted lease, ...), quoted.</summary>
    public IReadOnlyCollection<string> Unexpected => _unexpected;

    public IReadOnlyCollection<string> Notes => _notes;

    /// <summary>5xx answers by status (503s included).</summary>
    public IEnumerable<(int Status, int Count)> ServerErrors =>
        _answers.Where(a => a.Key.Contains(" 5", StringComparison.Ordinal))
            .GroupBy(a => int.Parse(a.Key.Split(' ')[1][..3], CultureInfo.InvariantCulture))
            .Select(g => (g.Key, g.Sum(a => a.Value)))
            .OrderBy(g => g.Key);

    public static string ResultJson(string workerId, string taskId, string leaseId) =>
        $$"""{"by":"{{workerId}}","task":"{{taskId}}","lease":"{{leaseId}}"}""";

    /// <summary>Runs the crowd until the project has no open task or the deadline passes.</summary>
    public async Task RunAsync()
    {
        _clock.Start();
        using var deadlineSource = new CancellationTokenSource(deadline);
        var monitor = Task.Run(() => MonitorAsync(deadlineSource.Token));
        await Task.WhenAll(workers.Select(w => Task.Run(() => WorkAsync(w, deadlineSource.Token))));
        FinishedInTime = _done;
        _done = true;
        await monitor;
    }

    /// <summary>Waits until <paramref name="count"/> submissions were acknowledged (or the crowd ended).</summary>
    public async Task WaitForAckedAsync(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (AckedCount < count && !_done && clock.Elapsed < timeout)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>The figures of the run, one line each.</summary>
    public IEnumerable<string> Figures()
    {
        yield return $"crowd: {workers.Count} workers (think time {thinkTime.TotalMilliseconds:0} ms), {Elapsed.TotalSeconds:0.0} s, {Calls} calls, {Leases.Count} leases granted, {Acked.Count} submits acknowledged";
        yield return $"calls without answer: {_faults.Values.Sum()} ({Join(_faults)})";
        yield return $"answers: {Join(_answers)}";
        yield return $"5xx seen by status: {(ServerErrors.Any() ? string.Join(", ", ServerErrors.Select(e => $"{e.Status} x{e.Count}")) : "none")}";
        yield return $"unanswered claims (possible unknown leases): {UnansweredClaims}; claim 409 conflict: {ClaimConflicts}; " +
            $"submits left uncertain: {Uncertain.Count}; leases expired before their submit: {ExpiredOnSubmit.Count}";
        yield return $"unexpected answers: {_unexpected.Count}";
    }

    public void Print(ITestOutputHelper output)
    {
        foreach (var line in Figures())
        {
            output.WriteLine(line);
        }

        foreach (var note in _notes.Take(10))
        {
            output.WriteLine("  note: " + note);
        }

        foreach (var expired in ExpiredOnSubmit.Take(5))
        {
            output.WriteLine("  expired: " + expired);
        }

        foreach (var unexpected in _unexpected.Take(10))
        {
            output.WriteLine("  unexpected: " + unexpected);
        }
    }

    private static string Join(IEnumerable<KeyValuePair<string, int>> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} x{c.Value}"));

    private void Observe(string operation, Reply reply)
    {
        Interlocked.Increment(ref _calls);
        if (!reply.Answered)
        {
            _faults.AddOrUpdate($"silo{reply.Silo} {reply.Fault}", 1, (_, n) => n + 1);
            return;
        }

        var key = $"{operation} {reply.Status}" + (reply.ProblemType is { } type ? "/" + type : "");
        _answers.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (reply.Status >= 500 && reply.UnavailableShapeProblem() is { } problem)
        {
            _unexpected.Enqueue($"{operation} at {Elapsed.TotalSeconds:0.0} s: {problem}");
        }
    }

    private async Task MonitorAsync(CancellationToken deadlineToken)
    {
        var home = 0;
        while (!_done && !deadlineToken.IsCancellationRequested)
        {
            var reply = await cluster.SendWithFailoverAsync(
                home, HttpMethod.Get, $"/v1/projects/{projectId}", cluster.AdminKey, null, TimeSpan.FromSeconds(10));
            if (reply?.Response is { Status: HttpStatusCode.OK } response)
            {
                home = reply.Silo;
                if (response.Json["counts"]!["open"]!.GetValue<int>() == 0)
                {
                    _done = true;
                    return;
                }
            }

            await Task.Delay(500, CancellationToken.None);
        }
    }

    private async Task WorkAsync(CrowdWorker worker, CancellationToken deadlineToken)
    {
        var claimPath = $"/v1/workers/{worker.Id}/leases";
        var claimBody = new { projectId, waitSeconds };
        while (!_done && !deadlineToken.IsCancellationRequested)
        {
            var claim = await cluster.SendWithFailoverAsync(
                worker.Home, HttpMethod.Post, claimPath, worker.Token, claimBody, CallTimeout, r =>
                {
                    Observe("claim", r);
                    if (!r.Answered)
                    {
                        Interlocked.Increment(ref UnansweredClaims);
                    }
                });
            if (claim?.Response is not { } response)
            {
                await Task.Delay(200, CancellationToken.None);
                continue;
            }

            switch (claim.Status)
            {
                case 201:
                    break;
                case 204:
                    continue;
                case 409 when claim.ProblemType == "conflict":
                    Interlocked.Increment(ref ClaimConflicts);
                    await Task.Delay(500, CancellationToken.None);
                    continue;
                case 503:
                    await Task.Delay(300, CancellationToken.None);
                    continue;
                default:
                    _unexpected.Enqueue($"claim at {Elapsed.TotalSeconds:0.0} s: {claim}");
                    await Task.Delay(300, CancellationToken.None);
                    continue;
            }

            var body = response.Json;
            var leaseId = body["leaseId"]!.GetValue<string>();
            var taskId = body["taskId"]!.GetValue<string>();
            Leases.Add(new GrantedLease(leaseId, taskId, worker.Id, claim.Silo, Elapsed));
            if (thinkTime > TimeSpan.Zero)
            {
                await Task.Delay(thinkTime, CancellationToken.None);
            }

            await SubmitAsync(worker, leaseId, taskId, deadlineToken);
        }
    }

    private async Task SubmitAsync(CrowdWorker worker, string leaseId, string taskId, CancellationToken deadlineToken)
    {
        var path = $"/v1/workers/{worker.Id}/leases/{leaseId}/submit";
        var body = $$"""{"result":{{ResultJson(worker.Id, taskId, leaseId)}}}""";
        var unanswered = false;
        var refused = false;
        var started = Elapsed;
        for (var attempt = 1; attempt <= 40 && !deadlineToken.IsCancellationRequested; attempt++)
        {
            var reply = await cluster.SendWithFailoverAsync(worker.Home, HttpMethod.Post, path, worker.Token, body, CallTimeout, r =>
            {
                Observe("submit", r);
                unanswered |= !r.Answered;
            });
            switch (reply?.Status ?? 0)
            {
                case 0:
                    await Task.Delay(300, CancellationToken.None);
                    continue;
                case 503:
                    refused = true;
                    await Task.Delay(300, CancellationToken.None);
                    continue;
                case 200:
                    Acked[leaseId] = new AckedSubmission(leaseId, taskId, worker.Id, reply!.Silo, Elapsed);
                    Interlocked.Increment(ref _acked);
                    Uncertain.TryRemove(leaseId, out _);
                    return;
                case 409 when reply!.ProblemType == "lease-not-active" && (unanswered || refused):
                    // An earlier attempt was stored though its answer was lost (or was a 503): not acknowledged, so
                    // not lost either; the check afterwards finds it in storage.
                    Uncertain[leaseId] = $"{worker.Id}/{taskId}: stored by an earlier attempt that " +
                        (unanswered ? "got no answer" : "answered 503") + $" ({reply})";
                    if (!unanswered)
                    {
                        _notes.Enqueue($"a submit answered 503 and was stored nevertheless: {worker.Id}/{taskId} lease {leaseId}: {reply}");
                    }

                    return;
                case 409 when reply!.ProblemType == "lease-expired":
                    ExpiredOnSubmit.Enqueue($"{worker.Id}/{taskId} lease {leaseId} granted at {started.TotalSeconds:0.0} s, " +
                        $"refused at {Elapsed.TotalSeconds:0.0} s after {attempt} attempt(s): {reply}");
                    if (unanswered || refused)
                    {
                        Uncertain[leaseId] = $"{worker.Id}/{taskId}: lease expired after attempts without a 200";
                    }

                    return;
                default:
                    _unexpected.Enqueue($"submit of {worker.Id}/{taskId} (attempt {attempt}, unanswered before: {unanswered}, 503 before: {refused}) at {Elapsed.TotalSeconds:0.0} s: {reply}");
                    return;
            }
        }

        Uncertain[leaseId] = $"{worker.Id}/{taskId}: gave up after 40 attempts";
        _notes.Enqueue($"gave up submitting {leaseId} of {worker.Id}/{taskId}");
    }

    /// <summary>
    /// Reads everything back through silo <paramref name="silo"/> (results export, every task view, the project's
    /// counts, the view of every worker; as the admin, whom no rate limit applies to, <paramref name="allWorkers"/> when given) and returns each rule that does not hold, quoted. Prints the figures.
    /// </summary>
    public async Task<List<string>> VerifyAsync(
        int silo, IReadOnlyCollection<string> taskIds, int overlap, int maxAttempts, ITestOutputHelper output,
        IReadOnlyList<CrowdWorker>? allWorkers = null)
    {
        var failures = new List<string>();
        failures.AddRange(_unexpected.Take(20).Select(u => "unexpected answer: " + u));
        if (_unexpected.Count > 20)
        {
            failures.Add($"... and {_unexpected.Count - 20} more unexpected answers");
        }

        // Every task view.
        var views = new ConcurrentDictionary<string, JsonNode>();
        await Parallel.ForEachAsync(taskIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (taskId, _) =>
            views[taskId] = await cluster.ExpectOnAnyAsync(silo, HttpMethod.Get, $"/v1/projects/{projectId}/tasks/{taskId}", cluster.AdminKey, null, HttpStatusCode.OK));

        // The results export, page by page.
        var exported = new List<JsonNode>();
        string? after = null;
        for (var page = 0; page < 200; page++)
        {
            var path = $"/v1/projects/{projectId}/results?limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var body = await cluster.ExpectOnAnyAsync(silo, HttpMethod.Get, path, cluster.AdminKey, null, HttpStatusCode.OK);
            exported.AddRange(body["items"]!.AsArray().Select(i => i!));
            after = body["next"]?.GetValue<string>();
            if (after is null)
            {
                break;
            }
        }

        var exportByTask = exported.GroupBy(e => e["taskId"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var twice in exportByTask.Where(e => e.Value.Count > 1).Take(5))
        {
            failures.Add($"task {twice.Key} is exported {twice.Value.Count} times");
        }

        static IEnumerable<(string WorkerId, string? Lease, JsonNode Node)> Submissions(JsonNode holder) =>
            holder["submissions"]!.AsArray().Select(s => (s!["workerId"]!.GetValue<string>(), s["result"]?["lease"]?.GetValue<string>(), s));

        // No acknowledged submission lost: each is stored (task view) and, once its task is completed, exported.
        var lost = new List<string>();
        var notExported = new List<string>();
        foreach (var ack in Acked.Values)
        {
            var view = views[ack.TaskId];
            if (!Submissions(view).Any(s => s.WorkerId == ack.WorkerId && s.Lease == ack.LeaseId))
            {
                lost.Add($"{ack.WorkerId}/{ack.TaskId} lease {ack.LeaseId} (acknowledged by silo {ack.Silo} at {ack.At.TotalSeconds:0.0} s): {view.ToJsonString()}");
            }
            else if (view["state"]!.GetValue<string>() == "completed" &&
                !(exportByTask.TryGetValue(ack.TaskId, out var items) && items.Any(i => Submissions(i).Any(s => s.Lease == ack.LeaseId))))
            {
                notExported.Add($"{ack.WorkerId}/{ack.TaskId} lease {ack.LeaseId}");
            }
        }

        failures.AddRange(lost.Take(5).Select(l => "acknowledged submission lost: " + l));
        failures.AddRange(notExported.Take(5).Select(l => "acknowledged submission of a completed task missing from the export: " + l));

        // Every granted lease is in storage.
        var storedLeases = views.Values.SelectMany(v => v["leases"]!.AsArray().Select(l => (
            TaskId: v["id"]!.GetValue<string>(),
            LeaseId: l!["leaseId"]!.GetValue<string>(),
            WorkerId: l["workerId"]!.GetValue<string>(),
            State: l["state"]!.GetValue<string>()))).ToList();
        var storedLeaseIds = storedLeases.Select(l => l.LeaseId).ToHashSet();
        var missingLeases = Leases.Where(l => !storedLeaseIds.Contains(l.LeaseId)).ToList();
        failures.AddRange(missingLeases.Take(5).Select(l => $"granted lease not in storage: {l}"));

        // No (task, worker) pair leased twice: neither among the answers nor in storage.
        var twiceGranted = Leases.GroupBy(l => (l.TaskId, l.WorkerId)).Where(g => g.Count() > 1).ToList();
        failures.AddRange(twiceGranted.Take(5).Select(g => $"(task, worker) {g.Key} granted {g.Count()} times: {string.Join("; ", g)}"));
        var twiceStored = storedLeases.GroupBy(l => (l.TaskId, l.WorkerId)).Where(g => g.Count() > 1).ToList();
        failures.AddRange(twiceStored.Take(5).Select(g => $"(task, worker) {g.Key} holds {g.Count()} leases in storage"));

        // Every task completed by overlap distinct workers, or dead-lettered after maxAttempts failed attempts.
        var completed = 0;
        var deadLettered = 0;
        foreach (var (taskId, view) in views)
        {
            var state = view["state"]!.GetValue<string>();
            var submissions = Submissions(view).ToList();
            var failed = view["failedAttempts"]!.GetValue<int>();
            if (state == "completed")
            {
                completed++;
                if (submissions.Count != overlap || submissions.Select(s => s.WorkerId).Distinct().Count() != overlap)
                {
                    failures.Add($"completed task {taskId} has {submissions.Count} submissions (overlap {overlap}): {view.ToJsonString()}");
                }

                if (!exportByTask.ContainsKey(taskId))
                {
                    failures.Add($"completed task {taskId} is not in the results export");
                }
            }
            else if (state == "deadLettered" && failed >= maxAttempts)
            {
                deadLettered++;
            }
            else
            {
                failures.Add($"task {taskId} ended {state} with {failed} failed attempts: {view.ToJsonString()}");
            }

            if (view["leases"]!.AsArray().Any(l => l!["state"]!.GetValue<string>() == "active"))
            {
                failures.Add($"task {taskId} still holds an active lease after the crowd: {view.ToJsonString()}");
            }
        }

        foreach (var extra in exportByTask.Keys.Where(k => !views.TryGetValue(k, out var v) || v["state"]!.GetValue<string>() != "completed").Take(5))
        {
            failures.Add($"the export holds task {extra}, which is not completed");
        }

        // Stored submissions the crowd was not told about must be ones whose answer it never got.
        var stored = views.Values.SelectMany(v => Submissions(v).Select(s => (TaskId: v["id"]!.GetValue<string>(), s.WorkerId, s.Lease))).ToList();
        var phantoms = stored.Where(s => s.Lease is null || (!Acked.ContainsKey(s.Lease) && !Uncertain.ContainsKey(s.Lease))).ToList();
        failures.AddRange(phantoms.Take(5).Select(p => $"stored submission nobody was told about and no attempt left uncertain: {p}"));

        // Counts exact.
        var project = await cluster.ExpectOnAnyAsync(silo, HttpMethod.Get, $"/v1/projects/{projectId}", cluster.AdminKey, null, HttpStatusCode.OK);
        var counts = project["counts"]!;
        int Count(string name) => counts[name]!.GetValue<int>();
        var expected = $"total {taskIds.Count}, open 0, completed {completed}, deadLettered {deadLettered}, activeLeases 0, submissions {stored.Count}";
        var actual = $"total {Count("total")}, open {Count("open")}, completed {Count("completed")}, deadLettered {Count("deadLettered")}, " +
            $"activeLeases {Count("activeLeases")}, submissions {Count("submissions")}";
        if (expected != actual)
        {
            failures.Add($"project counts: expected {expected}; got {actual}");
        }

        // Worker views: submitted counts as stored, no active lease left (allowing a few seconds for expiry notices).
        var byWorker = stored.GroupBy(s => s.WorkerId).ToDictionary(g => g.Key, g => g.Count());
        var workerProblems = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(allWorkers ?? workers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (w, _) =>
        {
            JsonNode view = null!;
            for (var i = 0; i < 30; i++)
            {
                view = await cluster.ExpectOnAnyAsync(silo, HttpMethod.Get, $"/v1/workers/{w.Id}", cluster.AdminKey, null, HttpStatusCode.OK);
                if (view["activeLeases"]!.GetValue<int>() == 0)
                {
                    break;
                }

                await Task.Delay(500, CancellationToken.None);
            }

            if (view["stats"]!["submitted"]!.GetValue<int>() != byWorker.GetValueOrDefault(w.Id) || view["activeLeases"]!.GetValue<int>() != 0)
            {
                workerProblems.Add($"worker {w.Id}: {byWorker.GetValueOrDefault(w.Id)} submissions stored, view: {view.ToJsonString()}");
            }
        });
        failures.AddRange(workerProblems.Take(5));

        var grantedIds = Leases.Select(l => l.LeaseId).ToHashSet();
        var unknown = storedLeases.Count(l => !grantedIds.Contains(l.LeaseId));
        output.WriteLine($"stored: {storedLeases.Count} leases ({string.Join(", ", storedLeases.GroupBy(l => l.State).Select(g => $"{g.Key} {g.Count()}"))}), " +
            $"{unknown} of them never reported to a worker; {stored.Count} submissions, {stored.Count - Acked.Count} of them unacknowledged; " +
            $"tasks completed {completed}, dead-lettered {deadLettered}; exported {exported.Count}");
        output.WriteLine($"lost: {lost.Count} acknowledged submissions, {missingLeases.Count} granted leases, {notExported.Count} missing from the export " +
            $"(pairs leased twice: {twiceGranted.Count} answered, {twiceStored.Count} stored)");
        return failures;
    }
}
