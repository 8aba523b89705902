using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Work;

/// <summary>
/// A crowd of workers over HTTP, all at once, each claiming and submitting until no work is left: every task ends
/// completed by exactly <c>overlap</c> distinct workers, no (task, worker) pair is leased twice, the counts are exact
/// and no call fails with a 5xx.
/// </summary>
public abstract class CrowdTests(ITestOutputHelper output) : WorkTestBase
{
    private const int WorkerCount = 200;
    private const int TaskCount = 2000;
    private const int Overlap = 3;

    /// <summary>How long the crowd may work before the test gives up on it.</summary>
    protected virtual TimeSpan Deadline => TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Crowd_CompletesEveryTaskWithOverlapDistinctWorkers_AndCountsAreExact()
    {
        var total = Stopwatch.StartNew();
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, $$"""{"overlap":{{Overlap}},"reward":0.01}""");
        var import = await ImportAsync(owner.Client, projectId, SmallTasks(TaskCount, "t"));
        Assert.Equal(TaskCount, import["created"]!.GetValue<int>());
        var taskIds = import["ids"]!.AsArray().Select(i => i!.GetValue<string>()).ToHashSet();

        var workerIds = Enumerable.Range(0, WorkerCount).Select(i => NewId($"crowd{i:000}")).ToList();
        var tokens = await Task.WhenAll(workerIds.Select(async id =>
            (await Admin.PostApiAsync("/v1/workers", new { id, maxActiveLeases = 5 })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>()));
        var workers = workerIds.Select((id, i) => new Worker(id, tokens[i], Client(tokens[i]))).ToList();
        output.WriteLine($"setup: {total.Elapsed.TotalSeconds:0.0} s");

        var calls = 0;
        var leased = new ConcurrentBag<(string TaskId, string WorkerId, string LeaseId)>();
        var unexpected = new ConcurrentQueue<string>();
        var submittedBy = new ConcurrentDictionary<string, int>();
        var crowd = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(Deadline);

        // A client tailing the results export while the crowd works: following `next` (and re-reading the last page
        // until a full one gives a new cursor) must show every completed task.
        using var crowdDone = new CancellationTokenSource();
        var tailed = new List<string>();
        var tailCalls = 0;
        var tailer = Task.Run(async () =>
        {
            string? cursor = null;
            while (true)
            {
                var finalPass = crowdDone.IsCancellationRequested;
                string? next;
                do
                {
                    var path = $"{ProjectPath(projectId)}/results?limit=100" + (cursor is null ? "" : "&after=" + Uri.EscapeDataString(cursor));
                    var page = (await owner.Client.GetApiAsync(path)).Is(HttpStatusCode.OK);
                    tailCalls++;
                    tailed.AddRange(page["items"]!.AsArray().Select(i => i!["taskId"]!.GetValue<string>()));
                    next = page["next"]?.GetValue<string>();
                    cursor = next ?? cursor;
                }
                while (next is not null);

                if (finalPass)
                {
                    return;
                }

                await Task.Delay(20);
            }
        });

        await Task.WhenAll(workers.Select(w => Task.Run(async () =>
        {
            var idleInARow = 0;
            while (idleInARow < 2 && !deadline.IsCancellationRequested)
            {
                var claim = await ClaimAsync(w, projectId, waitSeconds: 1);
                Interlocked.Increment(ref calls);
                if (claim.Status == HttpStatusCode.NoContent)
                {
                    idleInARow++;
                    continue;
                }

                if (claim.Status != HttpStatusCode.Created)
                {
                    unexpected.Enqueue(claim.ToString());
                    await Task.Delay(100);
                    continue;
                }

                idleInARow = 0;
                var lease = ToLease(claim, projectId);
                leased.Add((lease.TaskId, w.Id, lease.LeaseId));
                var submit = await SubmitJsonAsync(w.Client, w.Id, lease.LeaseId, $$"""{"by":"{{w.Id}}","task":"{{lease.TaskId}}"}""");
                Interlocked.Increment(ref calls);
                if (submit.Status == HttpStatusCode.OK)
                {
                    submittedBy.AddOrUpdate(w.Id, 1, (_, n) => n + 1);
                }
                else
                {
                    unexpected.Enqueue(submit.ToString());
                }
            }
        })));

        var crowdElapsed = crowd.Elapsed;
        await crowdDone.CancelAsync();
        await tailer;
        output.WriteLine(
            $"crowd ({Host.Storage}): {WorkerCount} workers, {TaskCount} tasks x {Overlap}: {crowdElapsed.TotalSeconds:0.0} s, " +
            $"{calls} calls ({calls / crowdElapsed.TotalSeconds:0} per s), {leased.Count} leases, {unexpected.Count} unexpected answers");
        Assert.False(deadline.IsCancellationRequested, $"the crowd did not finish within {Deadline}");
        Assert.True(unexpected.IsEmpty, $"{unexpected.Count} unexpected answers (5xx: {unexpected.Count(u => u.Contains(" -> 5", StringComparison.Ordinal))}), first: {string.Join(Environment.NewLine, unexpected.Take(5))}");

        // No (task, worker) pair leased twice, every task leased exactly overlap times (no lease failed).
        var pairs = leased.GroupBy(l => (l.TaskId, l.WorkerId)).Where(g => g.Count() > 1).ToList();
        Assert.True(pairs.Count == 0, $"{pairs.Count} (task, worker) pairs leased twice, e.g. {pairs.FirstOrDefault()?.Key}");
        Assert.Equal(TaskCount * Overlap, leased.Count);
        Assert.Equal(TaskCount * Overlap, submittedBy.Values.Sum());

        var project = await GetProjectAsync(owner.Client, projectId);
        AssertCounts(project, total: TaskCount, open: 0, completed: TaskCount, activeLeases: 0, submissions: TaskCount * Overlap);

        // Results export: every task once, in completion order, with overlap submissions from distinct workers.
        var exported = new List<JsonNode>();
        string? after = null;
        var pages = 0;
        do
        {
            var path = $"{ProjectPath(projectId)}/results?limit=700" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = (await owner.Client.GetApiAsync(path)).Is(HttpStatusCode.OK);
            exported.AddRange(page["items"]!.AsArray().Select(i => i!));
            after = page["next"]?.GetValue<string>();
            pages++;
        }
        while (after is not null && pages < 100);

        Assert.Equal(TaskCount, exported.Count);
        Assert.True(taskIds.SetEquals(exported.Select(e => e["taskId"]!.GetValue<string>())), "the export does not hold exactly the imported tasks");
        var previous = DateTimeOffset.MinValue;
        var outOfOrder = new List<string>();
        foreach (var item in exported)
        {
            var taskId = item["taskId"]!.GetValue<string>();
            var submissions = item["submissions"]!.AsArray();
            Assert.True(submissions.Count == Overlap, $"task {taskId} exported with {submissions.Count} submissions: {item.ToJsonString()}");
            var by = submissions.Select(s => s!["workerId"]!.GetValue<string>()).ToList();
            Assert.True(by.Distinct().Count() == Overlap, $"task {taskId} has submissions from the same worker: {item.ToJsonString()}");
            Assert.All(submissions, s => Assert.True(
                s!["result"]!["by"]!.GetValue<string>() == s["workerId"]!.GetValue<string>() && s["result"]!["task"]!.GetValue<string>() == taskId,
                $"a submission does not carry what its worker sent: {item.ToJsonString()}"));
            var completedAt = ApiAssert.IsUtcTimestamp(item["completedAt"], "completedAt");
            if (completedAt < previous)
            {
                outOfOrder.Add($"{taskId} completed at {completedAt:O} comes after a task completed at {previous:O}");
            }

            previous = completedAt > previous ? completedAt : previous;
        }

        // Each task view: completed, overlap leases, all submitted, by distinct workers.
        var views = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(taskIds, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (taskId, _) =>
        {
            var view = await GetTaskAsync(owner.Client, projectId, taskId);
            var leases = view["leases"]!.AsArray();
            if (StateOf(view) != "completed" || leases.Count != Overlap ||
                leases.Select(l => l!["workerId"]!.GetValue<string>()).Distinct().Count() != Overlap ||
                leases.Any(l => StateOf(l!) != "submitted") || view["submissions"]!.AsArray().Count != Overlap)
            {
                views.Add(view.ToJsonString());
            }
        });
        Assert.True(views.IsEmpty, $"{views.Count} task views break the rules, e.g. {views.FirstOrDefault()}");

        // Worker stats agree with what each worker was told.
        var stats = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (w, _) =>
        {
            var view = await GetWorkerAsync(Admin, w.Id);
            var expected = submittedBy.GetValueOrDefault(w.Id);
            if (view["stats"]!["submitted"]!.GetValue<int>() != expected || view["activeLeases"]!.GetValue<int>() != 0 ||
                Decimal(view["earnings"]!["total"], "earnings.total") != expected * 0.01m)
            {
                stats.Add($"expected {expected} submissions: {view.ToJsonString()}");
            }
        });
        Assert.True(stats.IsEmpty, $"{stats.Count} worker views disagree, e.g. {stats.FirstOrDefault()}");
        output.WriteLine($"total with checks: {total.Elapsed.TotalSeconds:0.0} s");

        // Completion order: the export's order agrees with completedAt, and a tail reader missed nothing.
        var missed = taskIds.Except(tailed).ToList();
        output.WriteLine($"tail reader: {tailCalls} pages, {tailed.Count} items, {tailed.Distinct().Count()} distinct, {missed.Count} missed");
        Assert.True(
            outOfOrder.Count == 0,
            $"results are not in completion order: {outOfOrder.Count} items have an earlier completedAt than one listed before them, e.g. {string.Join("; ", outOfOrder.Take(3))}");
        Assert.True(
            missed.Count == 0,
            $"a client following `next` while tasks completed never saw {missed.Count} completed tasks, e.g. {string.Join(", ", missed.Take(5))}");
    }
}

/// <summary>
/// The crowds run alone, after every parallel test collection, so that their load neither slows the timing checks of
/// other tests (expiry within one second, long polling) nor is slowed by them. They get a PostgreSQL server of their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CrowdCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "crowd";
}

/// <summary>The crowd on in-memory storage.</summary>
[Collection(CrowdCollection.Name)]
public sealed class CrowdTests_Memory(MemoryApiHost host, ITestOutputHelper output) : CrowdTests(output), IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>The crowd on PostgreSQL storage, on a database of its own.</summary>
[Collection(CrowdCollection.Name)]
public sealed class CrowdTests_Postgres(PostgresServer postgres, PostgresApiHost host, ITestOutputHelper output)
    : CrowdTests(output), IClassFixture<PostgresApiHost>
{
    protected override TimeSpan Deadline => TimeSpan.FromMinutes(8);

    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
