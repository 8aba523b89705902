using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Work;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Dispatch.Tests.Hostile;

/// <summary>
/// A model-based test of the lease lifecycle (docs/api.md, Work): random sequences of claim, heartbeat, submit, release,
/// expiry, foreign-lease calls, pause/resume and retry by three workers on a small project, each call's answer and
/// the whole observable state (tasks, leases, failed attempts, dead letters, worker and project counts) checked after
/// every step against a reference model of docs/api.md's rules. A failing sequence is shrunk by CsCheck and printed.
/// </summary>
public sealed class LeaseModelTests(MemoryApiHost host, ITestOutputHelper output) : WorkTestBase, IClassFixture<MemoryApiHost>
{
    private const int LeaseSeconds = 600;

    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    private enum Act
    {
        Claim,
        Heartbeat,
        Submit,
        Release,
        Expire,
        Foreign,
        Pause,
        Resume,
        Retry,
    }

    /// <summary>One step: an act by worker <c>W</c>; <c>K</c> picks a lease (or task) among those there are.</summary>
    private sealed record Step(Act Act, int W, int K)
    {
        public override string ToString() => Act switch
        {
            Act.Pause or Act.Resume => Act.ToString(),
            Act.Retry => $"Retry task #{K}",
            Act.Claim => $"W{W} Claim",
            _ => $"W{W} {Act} lease #{K}",
        };
    }

    private sealed record Scenario(int Overlap, int MaxAttempts, int Tasks, int[] Caps, List<Step> Steps)
    {
        public override string ToString() =>
            $"overlap={Overlap} maxAttempts={MaxAttempts} tasks={Tasks} maxActiveLeases=[{string.Join(",", Caps)}]{Environment.NewLine}  " +
            string.Join(Environment.NewLine + "  ", Steps);
    }

    private static readonly Gen<Step> Steps = Gen.Frequency<Step>(
        (6, Gen.Int[0, 2].Select(w => new Step(Act.Claim, w, 0))),
        (2, Gen.Select(Gen.Int[0, 2], Gen.Int[0, 5]).Select((w, k) => new Step(Act.Heartbeat, w, k))),
        (4, Gen.Select(Gen.Int[0, 2], Gen.Int[0, 5]).Select((w, k) => new Step(Act.Submit, w, k))),
        (2, Gen.Select(Gen.Int[0, 2], Gen.Int[0, 5]).Select((w, k) => new Step(Act.Release, w, k))),
        (2, Gen.Select(Gen.Int[0, 2], Gen.Int[0, 5]).Select((w, k) => new Step(Act.Expire, w, k))),
        (1, Gen.Select(Gen.Int[0, 2], Gen.Int[0, 5]).Select((w, k) => new Step(Act.Foreign, w, k))),
        (1, Gen.Const(new Step(Act.Pause, 0, 0))),
        (1, Gen.Const(new Step(Act.Resume, 0, 0))),
        (1, Gen.Int[0, 2].Select(k => new Step(Act.Retry, 0, k))));

    private static readonly Gen<Scenario> Scenarios = Gen.Select(
        Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[1, 3], Gen.Int[1, 3].Array[3], Steps.List[1, 18],
        (overlap, attempts, tasks, caps, steps) => new Scenario(overlap, attempts, tasks, caps, steps));

    // ------------------------------------------------------------------ the reference model

    private sealed class MLease(string id, int worker, string taskId)
    {
        public string Id { get; } = id;

        public int Worker { get; } = worker;

        public string TaskId { get; } = taskId;

        public string State { get; set; } = "active";

        /// <summary>
        /// Ended because its task was dead-lettered by another lease's failure. docs/api.md does not say what becomes of
        /// such a lease; the model takes it to end (released or expired, either accepted) without counting as a failure.
        /// </summary>
        public bool EndedWithTask { get; set; }
    }

    private sealed class MTask(string id)
    {
        public string Id { get; } = id;

        public string State { get; set; } = "open";

        public int Failed { get; set; }

        public List<MLease> Leases { get; } = [];

        public List<int> Submitters { get; } = [];
    }

    private sealed class Model(Scenario scenario, List<MTask> tasks)
    {
        public Scenario Scenario { get; } = scenario;

        public List<MTask> Tasks { get; } = tasks;

        public string Status { get; set; } = "open";

        public IEnumerable<MLease> Leases => Tasks.SelectMany(t => t.Leases);

        public int Active(int worker) => Leases.Count(l => l.Worker == worker && l.State == "active");

        public MLease? Pick(IEnumerable<MLease> leases, int k)
        {
            var list = leases.ToList();
            return list.Count == 0 ? null : list[k % list.Count];
        }

        public MTask TaskOf(MLease lease) => Tasks.Single(t => t.Id == lease.TaskId);

        /// <summary>A failed attempt (expired or released): at maxAttempts the task is dead-lettered.</summary>
        public void Fail(MLease lease, string endAs)
        {
            var task = TaskOf(lease);
            lease.State = endAs;
            task.Failed++;
            if (task.State == "open" && task.Failed >= Scenario.MaxAttempts)
            {
                task.State = "deadLettered";
                Interlocked.Increment(ref _deadLetters);
                foreach (var other in task.Leases.Where(l => l.State == "active"))
                {
                    other.State = "released";
                    other.EndedWithTask = true;
                }
            }
        }
    }

    // ------------------------------------------------------------------ the test

    [Fact]
    public async Task RandomLeaseSequences_AnswerAndLeaveStateAsApiMdSays()
    {
        var steps = 0;
        var tally = new CallTally();
        await Scenarios.SampleAsync(
            async scenario =>
            {
                var log = new StringBuilder();
                try
                {
                    Interlocked.Add(ref steps, await RunAsync(scenario, log, tally));
                }
                catch (Exception e) when (e is XunitException or InvalidOperationException or NullReferenceException or FormatException)
                {
                    throw new XunitException($"{scenario}{Environment.NewLine}Ran:{Environment.NewLine}{log}{e.Message}");
                }
            },
            iter: 30,
            threads: 4,
            print: s => Environment.NewLine + s);
        var summary = $"{steps} steps ({_expiries} expiries, {_deadLetters} dead letters, {_completions} completions); {tally}";
        output.WriteLine(summary);
        Console.WriteLine($"[LeaseModelTests] {summary}");
    }

    private async Task<int> RunAsync(Scenario scenario, StringBuilder log, CallTally tally)
    {
        var ownerId = "lm-" + Guid.NewGuid().ToString("N")[..12];
        var ownerKey = (await Admin.PostApiAsync("/v1/requesters", new { id = ownerId, name = ownerId })).Is(HttpStatusCode.Created)["apiKey"]!.GetValue<string>();
        using var owner = Host.CreateClient(ownerKey);
        var projectId = ownerId + "-p";
        (await owner.PostApiAsync("/v1/projects", new { id = projectId, name = "lease model", overlap = scenario.Overlap, maxAttempts = scenario.MaxAttempts, leaseSeconds = LeaseSeconds }))
            .Is(HttpStatusCode.Created);

        // One import per task, so "oldest first" is a strict order.
        var tasks = new List<MTask>();
        for (var t = 0; t < scenario.Tasks; t++)
        {
            (await owner.PostApiAsync($"/v1/projects/{projectId}/tasks", $$$"""{"tasks":[{"id":"t{{{t}}}","payload":{"n":{{{t}}}}}]}""")).Is(HttpStatusCode.OK);
            tasks.Add(new MTask("t" + t));
        }

        var workers = new List<(string Id, HttpClient Client)>();
        try
        {
            for (var w = 0; w < 3; w++)
            {
                var id = $"{ownerId}-w{w}";
                var token = (await Admin.PostApiAsync("/v1/workers", new { id, maxActiveLeases = scenario.Caps[w] })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
                workers.Add((id, Host.CreateClient(token)));
            }

            var model = new Model(scenario, tasks);
            var run = 0;
            foreach (var step in scenario.Steps)
            {
                log.Append("  ").Append(step);
                await StepAsync(step, model, projectId, owner, workers, log, tally);
                log.AppendLine();
                await VerifyAsync(model, projectId, owner, workers, tally);
                run++;
            }

            return run;
        }
        finally
        {
            foreach (var (_, client) in workers)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<ApiResponse> CallAsync(CallTally tally, Task<ApiResponse> call, StringBuilder log)
    {
        var response = tally.Record(await call).Keeps();
        log.Append($" -> {(int)response.Status}{(response.ProblemType() is { } type ? " " + type : "")}");
        return response;
    }

    private static void Expect(ApiResponse response, HttpStatusCode status, string? type, string why)
    {
        if (response.Status != status || (type is not null && response.ProblemType() != type))
        {
            throw new XunitException($"Expected {(int)status} {type} ({why}), got: {response}");
        }
    }

    private static void ExpectEither(ApiResponse response, string why, params (HttpStatusCode Status, string? Type)[] allowed)
    {
        if (!allowed.Any(a => response.Status == a.Status && (a.Type is null || response.ProblemType() == a.Type)))
        {
            throw new XunitException($"Expected one of {string.Join(" | ", allowed.Select(a => $"{(int)a.Status} {a.Type}"))} ({why}), got: {response}");
        }
    }

    /// <summary>The answer docs/api.md gives a heartbeat, submit or release on a lease that is not active.</summary>
    private static void ExpectNotActive(ApiResponse response, MLease lease)
    {
        if (lease.EndedWithTask)
        {
            ExpectEither(response, $"lease {lease.Id} ended when its task was dead-lettered", (HttpStatusCode.Conflict, "lease-not-active"), (HttpStatusCode.Conflict, "lease-expired"));
        }
        else if (lease.State == "expired")
        {
            Expect(response, HttpStatusCode.Conflict, "lease-expired", $"lease {lease.Id} expired");
        }
        else
        {
            Expect(response, HttpStatusCode.Conflict, "lease-not-active", $"lease {lease.Id} was {lease.State}");
        }
    }

    private static int _expiries;
    private static int _deadLetters;
    private static int _completions;

    private static async Task StepAsync(Step step, Model model, string projectId, HttpClient owner, List<(string Id, HttpClient Client)> workers, StringBuilder log, CallTally tally)
    {
        // A lease call by a worker that never had a lease is made by the next one that has, so few steps are idle.
        var actor = step.Act is Act.Heartbeat or Act.Submit or Act.Release or Act.Expire
            ? Enumerable.Range(0, 3).Select(i => (step.W + i) % 3).FirstOrDefault(w => model.Leases.Any(l => l.Worker == w), step.W)
            : step.W;
        step = step with { W = actor };
        var (workerId, client) = workers[step.W];
        var mine = model.Leases.Where(l => l.Worker == step.W);
        switch (step.Act)
        {
            case Act.Claim:
            {
                var response = await CallAsync(tally, ClaimAsync(client, workerId, projectId), log);
                var atCap = model.Active(step.W) >= model.Scenario.Caps[step.W];
                if (model.Status != "open" && atCap)
                {
                    ExpectEither(response, "paused project and worker at maxActiveLeases", (HttpStatusCode.Conflict, "project-not-open"), (HttpStatusCode.Conflict, "conflict"));
                    return;
                }

                if (model.Status != "open")
                {
                    Expect(response, HttpStatusCode.Conflict, "project-not-open", "the project is paused");
                    return;
                }

                if (atCap)
                {
                    Expect(response, HttpStatusCode.Conflict, "conflict", $"W{step.W} holds maxActiveLeases = {model.Scenario.Caps[step.W]} active leases");
                    return;
                }

                var candidates = model.Tasks.Where(t =>
                    t.State == "open" &&
                    t.Leases.All(l => l.Worker != step.W) &&
                    t.Leases.Count(l => l.State is "active" or "submitted") < model.Scenario.Overlap).ToList();
                if (candidates.Count == 0)
                {
                    if (response.Status != HttpStatusCode.NoContent)
                    {
                        throw new XunitException($"Expected 204: no open task W{step.W} never leased has a free slot; got: {response}");
                    }

                    return;
                }

                var lease = ToLease(response, projectId);
                if (lease.TaskId != candidates[0].Id)
                {
                    throw new XunitException($"Expected the oldest free task {candidates[0].Id} (docs/api.md: equal priority, oldest first; free: {string.Join(", ", candidates.Select(c => c.Id))}), got: {response}");
                }

                candidates[0].Leases.Add(new MLease(lease.LeaseId, step.W, lease.TaskId));
                log.Append($" {lease.LeaseId[..Math.Min(6, lease.LeaseId.Length)]} on {lease.TaskId}");
                return;
            }

            case Act.Heartbeat or Act.Submit or Act.Release:
            {
                var lease = model.Pick(mine, step.K);
                var leaseId = lease?.Id ?? "NOSUCHLEASE0";
                var path = LeasePath(workerId, leaseId, step.Act.ToString().ToLowerInvariant());
                var before = DateTimeOffset.UtcNow;
                var response = await CallAsync(tally, step.Act switch
                {
                    Act.Heartbeat => client.PostApiAsync(path, new { }),
                    Act.Submit => client.PostApiAsync(path, new { result = new { by = workerId } }),
                    _ => client.PostApiAsync(path, new { reason = "model" }),
                }, log);
                if (lease is null)
                {
                    Expect(response, HttpStatusCode.NotFound, "not-found", "no such lease");
                    return;
                }

                log.Append($" ({lease.Id[..Math.Min(6, lease.Id.Length)]} on {lease.TaskId}, {lease.State})");
                if (lease.State != "active")
                {
                    ExpectNotActive(response, lease);
                    return;
                }

                var body = response.Is(HttpStatusCode.OK);
                var task = model.TaskOf(lease);
                switch (step.Act)
                {
                    case Act.Heartbeat:
                        Assert.Equal(lease.Id, body["leaseId"]?.GetValue<string>());
                        var expiresAt = ApiAssert.IsUtcTimestamp(body["expiresAt"], "expiresAt");
                        Assert.True(
                            expiresAt >= before.AddSeconds(LeaseSeconds) - ClockSlack && expiresAt <= DateTimeOffset.UtcNow.AddSeconds(LeaseSeconds) + ClockSlack,
                            $"heartbeat without extendSeconds: expiresAt {expiresAt:O} is not now + leaseSeconds ({LeaseSeconds}): {response}");
                        break;
                    case Act.Submit:
                        lease.State = "submitted";
                        task.Submitters.Add(step.W);
                        if (task.Submitters.Count >= model.Scenario.Overlap)
                        {
                            task.State = "completed";
                            Interlocked.Increment(ref _completions);
                        }

                        Assert.True(body["taskId"]?.GetValue<string>() == task.Id, $"submit answered another task: {response}");
                        Assert.True(body["taskState"]?.GetValue<string>() == task.State, $"submit should answer taskState {task.State}: {response}");
                        break;
                    default:
                        model.Fail(lease, "released");
                        break;
                }

                return;
            }

            case Act.Expire:
            {
                var lease = model.Pick(mine.Where(l => l.State == "active"), step.K);
                if (lease is null)
                {
                    log.Append(" (nothing active)");
                    return;
                }

                log.Append($" ({lease.Id[..Math.Min(6, lease.Id.Length)]} on {lease.TaskId})");
                var response = await CallAsync(tally, client.PostApiAsync(LeasePath(workerId, lease.Id, "heartbeat"), new { extendSeconds = 1 }), log);
                var expiresAt = ApiAssert.IsUtcTimestamp(response.Is(HttpStatusCode.OK)["expiresAt"], "expiresAt");

                // docs/api.md: within one second after expiresAt the lease has expired and counts as a failed attempt.
                await WaitUntilAsync(expiresAt, TimeSpan.FromSeconds(1.1));
                model.Fail(lease, "expired");
                Interlocked.Increment(ref _expiries);
                return;
            }

            case Act.Foreign:
            {
                var lease = model.Pick(model.Leases.Where(l => l.Worker != step.W), step.K);
                if (lease is null)
                {
                    log.Append(" (no foreign lease)");
                    return;
                }

                log.Append($" (W{lease.Worker}'s {lease.Id[..Math.Min(6, lease.Id.Length)]} via W{step.W}'s path)");
                var action = (step.K % 3) switch { 0 => "heartbeat", 1 => "submit", _ => "release" };
                var response = await CallAsync(tally, client.PostApiAsync(LeasePath(workerId, lease.Id, action), new { result = "stolen" }), log);
                ExpectEither(response, "another worker's lease", (HttpStatusCode.NotFound, "not-found"), (HttpStatusCode.Forbidden, "forbidden"));
                return;
            }

            case Act.Pause or Act.Resume:
            {
                var status = step.Act == Act.Pause ? "paused" : "open";
                var response = await CallAsync(tally, owner.PatchApiAsync(ProjectPath(projectId), new { status }), log);
                Assert.Equal(status, response.Is(HttpStatusCode.OK)["status"]?.GetValue<string>());
                model.Status = status;
                return;
            }

            case Act.Retry:
            {
                var task = model.Tasks[step.K % model.Tasks.Count];
                log.Append($" ({task.Id}, {task.State})");
                var response = await CallAsync(tally, owner.PostApiAsync($"{TaskPath(projectId, task.Id)}/retry", null), log);
                if (task.State == "deadLettered")
                {
                    Expect(response, HttpStatusCode.OK, null, "retrying a dead-lettered task");
                    task.State = "open";
                    task.Failed = 0;
                }
                else
                {
                    // docs/api.md only says what retry does to a dead-lettered task; refusing others is expected.
                    Assert.True(response.Status is HttpStatusCode.Conflict or HttpStatusCode.BadRequest, $"retrying a {task.State} task should be refused: {response}");
                }

                return;
            }
        }
    }

    private static async Task VerifyAsync(Model model, string projectId, HttpClient owner, List<(string Id, HttpClient Client)> workers, CallTally tally)
    {
        var problems = new List<string>();
        var project = tally.Record(await owner.GetApiAsync(ProjectPath(projectId))).Is(HttpStatusCode.OK);
        var counts = project["counts"]!;
        var expectedCounts = new
        {
            total = model.Tasks.Count,
            open = model.Tasks.Count(t => t.State == "open"),
            completed = model.Tasks.Count(t => t.State == "completed"),
            deadLettered = model.Tasks.Count(t => t.State == "deadLettered"),
            activeLeases = model.Leases.Count(l => l.State == "active"),
            submissions = model.Tasks.Sum(t => t.Submitters.Count),
        };
        var actualCounts = new
        {
            total = counts["total"]!.GetValue<int>(),
            open = counts["open"]!.GetValue<int>(),
            completed = counts["completed"]!.GetValue<int>(),
            deadLettered = counts["deadLettered"]!.GetValue<int>(),
            activeLeases = counts["activeLeases"]!.GetValue<int>(),
            submissions = counts["submissions"]!.GetValue<int>(),
        };
        if (!expectedCounts.Equals(actualCounts))
        {
            problems.Add($"project counts: model {expectedCounts}, server {actualCounts}");
        }

        if (project["status"]?.GetValue<string>() != model.Status)
        {
            problems.Add($"project status: model {model.Status}, server {project["status"]}");
        }

        foreach (var task in model.Tasks)
        {
            var view = tally.Record(await owner.GetApiAsync(TaskPath(projectId, task.Id))).Is(HttpStatusCode.OK);
            var state = view["state"]!.GetValue<string>();
            var failed = view["failedAttempts"]!.GetValue<int>();
            if (state != task.State || failed != task.Failed)
            {
                problems.Add($"{task.Id}: model {task.State} with {task.Failed} failed attempts, server {state} with {failed}");
            }

            var leases = view["leases"]!.AsArray().ToDictionary(l => l!["leaseId"]!.GetValue<string>(), l => l!["state"]!.GetValue<string>());
            var expectedIds = task.Leases.Select(l => l.Id).Order(StringComparer.Ordinal).ToList();
            if (!expectedIds.SequenceEqual(leases.Keys.Order(StringComparer.Ordinal)))
            {
                problems.Add($"{task.Id}: model leases [{string.Join(", ", expectedIds)}], server [{string.Join(", ", leases.Keys)}]");
            }
            else
            {
                foreach (var lease in task.Leases)
                {
                    var ok = lease.EndedWithTask ? leases[lease.Id] is "released" or "expired" : leases[lease.Id] == lease.State;
                    if (!ok)
                    {
                        problems.Add($"{task.Id}: lease {lease.Id} of W{lease.Worker}: model {(lease.EndedWithTask ? "released|expired" : lease.State)}, server {leases[lease.Id]}");
                    }
                }
            }

            var submitters = view["submissions"]!.AsArray().Select(s => s!["workerId"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
            var expectedSubmitters = task.Submitters.Select(w => workers[w].Id).Order(StringComparer.Ordinal).ToList();
            if (!submitters.SequenceEqual(expectedSubmitters))
            {
                problems.Add($"{task.Id}: model submissions by [{string.Join(", ", expectedSubmitters)}], server [{string.Join(", ", submitters)}]");
            }
        }

        for (var w = 0; w < workers.Count; w++)
        {
            var (id, client) = workers[w];
            var view = tally.Record(await client.GetApiAsync(WorkerPath(id))).Is(HttpStatusCode.OK);
            var active = model.Leases.Where(l => l.Worker == w && l.State == "active").Select(l => l.Id).Order(StringComparer.Ordinal).ToList();
            if (view["activeLeases"]!.GetValue<int>() != active.Count)
            {
                problems.Add($"W{w} activeLeases: model {active.Count}, server {view["activeLeases"]}");
            }

            var listed = tally.Record(await client.GetApiAsync(LeasesPath(id))).Is(HttpStatusCode.OK)["items"]!.AsArray()
                .Select(l => l!["leaseId"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
            if (!listed.SequenceEqual(active))
            {
                problems.Add($"W{w} lists active leases [{string.Join(", ", listed)}], model [{string.Join(", ", active)}]");
            }
        }

        if (problems.Count > 0)
        {
            throw new XunitException("State differs from the model:" + Environment.NewLine + "    " + string.Join(Environment.NewLine + "    ", problems) + Environment.NewLine);
        }
    }
}
