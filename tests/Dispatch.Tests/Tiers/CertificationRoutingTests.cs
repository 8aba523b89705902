using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// Claims without <c>projectId</c> (docs/api.md, Lease rules): among open projects whose requirements the worker meets,
/// the highest required level first, then <c>priority</c>, then <c>reward</c>, then project id; inside a project,
/// task priority then oldest; an uncertified, under-levelled or suspended worker never sees certified work.
/// </summary>
public abstract class CertificationRoutingTests : TierTestBase
{
    [Fact]
    public async Task RoutedClaim_ServesTheHighestRequiredLevelFirst_BeforeHigherPriorityOpenWork()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var open = await ProjectWithTasksAsync(owner, """{"priority":10,"overlap":3}""", SmallTasks(2, "o"));
        var level2 = await ProjectWithTasksAsync(owner, $$"""{"priority":5,"overlap":3,"requirements":{{Requires((skill, 2))}} }""", SmallTasks(2, "l2"));
        var level3 = await ProjectWithTasksAsync(owner, $$"""{"priority":-5,"overlap":3,"requirements":{{Requires((skill, 3))}} }""", SmallTasks(2, "l3"));
        var atLevel3 = await WorkerAsync(certifications: (skill, 3));
        var atLevel2 = await WorkerAsync(certifications: (skill, 2));
        var uncertified = await WorkerAsync();
        await RoutingSeesChangesAsync();

        Assert.Equal([level3, level3, level2, level2, open, open], await DrainAsync(atLevel3));
        Assert.Equal([level2, level2, open, open], await DrainAsync(atLevel2));
        Assert.Equal([open, open], await DrainAsync(uncertified));
    }

    [Fact]
    public async Task RoutedClaim_InsideATier_OrdersByPriorityThenRewardThenProjectId()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var prefix = NewId("tie");
        async Task<string> Project(string suffix, int priority, decimal reward, int minLevel)
        {
            var id = $"{prefix}-{suffix}";
            await CreateProjectAsync(owner.Client, With(ProjectBody(id), $$"""{"priority":{{priority}},"reward":{{Number(reward)}},"requirements":{{Requires((skill, minLevel))}} }"""));
            await ImportAsync(owner.Client, id, SmallTasks(1, "t"));
            return id;
        }

        // Created in an order that is none of the expected ones.
        var lowerTier = await Project("a", priority: 100, reward: 9m, minLevel: 1);
        var cheapB = await Project("b", priority: 0, reward: 0.10m, minLevel: 2);
        var rich = await Project("c", priority: 0, reward: 0.50m, minLevel: 2);
        var cheapA = await Project("a2", priority: 0, reward: 0.10m, minLevel: 2);
        var urgent = await Project("d", priority: 1, reward: 0m, minLevel: 2);
        var worker = await WorkerAsync(certifications: (skill, 2));
        await RoutingSeesChangesAsync();

        Assert.Equal([urgent, rich, cheapA, cheapB, lowerTier], await DrainAsync(worker));
    }

    [Fact]
    public async Task RoutedClaim_InsideAProject_ServesHigherTaskPriorityThenTheOldest()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var projectId = await ProjectWithTasksAsync(owner, $$"""{"requirements":{{Requires((skill, 1))}} }""", Tasks(("old", 0, null), ("urgent", 5, null)));
        await ImportAsync(owner.Client, projectId, Tasks(("new", 0, null), ("urgent-too", 5, null)));
        var worker = await WorkerAsync(certifications: (skill, 1));
        await RoutingSeesChangesAsync();

        var order = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var lease = await RoutedLeaseAsync(worker);
            Assert.Equal(projectId, lease.ProjectId);
            order.Add(lease.TaskId);
            await SubmitOkAsync(worker, lease);
        }

        Assert.Equal(["urgent", "urgent-too", "old", "new"], order);
        await AssertNoRoutedWorkAsync(worker, "every task was taken");
    }

    [Fact]
    public async Task WorkersThatDoNotMeetTheRequirements_NeverGetCertifiedWork_EvenWhenNothingElseIsLeft()
    {
        var skill = NewSkill();
        var other = NewSkill();
        var owner = await CreateRequesterAsync();
        var certified = await ProjectWithTasksAsync(owner, $$"""{"overlap":5,"requirements":{{Requires((skill, 2))}} }""", SmallTasks(3, "t"));

        // A suspended certification: one wrong golden answer where a single one is enough to judge.
        var judged = await ProjectWithTasksAsync(
            owner, $$"""{"requirements":{{Requires((skill, 1))}},"quality":{"minGolden":1,"minAccuracy":1.0} }""", GoldenTasks("g", 1));
        var suspended = await WorkerAsync(certifications: (skill, 3));
        var golden = await ClaimLeaseAsync(suspended, judged);
        await AnswerAsync(suspended, golden, correctly: false);
        Assert.True((await CertificationAsync(suspended.Id, skill))?["suspended"]?.GetValue<bool>(), "one wrong answer of one golden task needed did not suspend");

        var uncertified = await WorkerAsync();
        var otherSkill = await WorkerAsync(certifications: (other, 5));
        var tooLow = await WorkerAsync(certifications: (skill, 1));
        await RoutingSeesChangesAsync();

        foreach (var (worker, who) in new[] { (uncertified, "uncertified"), (otherSkill, "certified in another skill"), (tooLow, "level 1 of 2"), (suspended, "suspended") })
        {
            await AssertNoRoutedWorkAsync(worker, $"a worker {who} must not get work needing {skill} at level 2");
            await AssertNoRoutedWorkAsync(worker, $"a worker {who} must not get work needing {skill} at level 2, even after waiting", waitSeconds: 1);
            await AssertForbiddenClaimAsync(worker, certified);
        }

        // The work was there all along: a worker at the level gets it, and so do the others once raised to it.
        var lease = await RoutedLeaseAsync(await WorkerAsync(certifications: (skill, 2)));
        Assert.Equal(certified, lease.ProjectId);
        await CertifyAsync(tooLow.Id, skill, 2);
        await CertifyAsync(suspended.Id, skill, 3);
        Assert.Equal(certified, (await RoutedLeaseAsync(tooLow)).ProjectId);
        Assert.Equal(certified, (await RoutedLeaseAsync(suspended)).ProjectId);
        await AssertNoRoutedWorkAsync(uncertified, "nothing else is open");
    }

    [Fact]
    public async Task PausingAProject_RemovesItFromRouting_AndResumingOrCreatingOneIsSeenWithinASecond()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var certified = await ProjectWithTasksAsync(owner, $$"""{"requirements":{{Requires((skill, 2))}} }""", SmallTasks(20, "c"));
        var open = await ProjectWithTasksAsync(owner, "{}", SmallTasks(40, "o"));
        var worker = await WorkerAsync(certifications: (skill, 2));
        await RoutingSeesChangesAsync();

        Assert.Equal(certified, await ClaimAndSubmitAsync(worker));

        // Paused: no new leases at all, so from now on routing falls back to the open project.
        (await owner.Client.PatchApiAsync(ProjectPath(certified), new { status = "paused" })).Is(HttpStatusCode.OK);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(open, await ClaimAndSubmitAsync(worker));
        }

        // Resumed: routing serves it first again within about a second.
        (await owner.Client.PatchApiAsync(ProjectPath(certified), new { status = "open" })).Is(HttpStatusCode.OK);
        var resumedAfter = await RoutedToWithinAsync(worker, certified);

        // A new project of a higher tier: seen within about a second too.
        var level3 = await ProjectWithTasksAsync(owner, $$"""{"requirements":{{Requires((skill, 3))}} }""", SmallTasks(2, "l3"));
        await CertifyAsync(worker.Id, skill, 3);
        var createdAfter = await RoutedToWithinAsync(worker, level3);

        // Closed and paused: nothing routed from either, ever, and 204 when nothing else is left.
        (await owner.Client.PatchApiAsync(ProjectPath(level3), new { status = "closed" })).Is(HttpStatusCode.OK);
        (await owner.Client.PatchApiAsync(ProjectPath(certified), new { status = "paused" })).Is(HttpStatusCode.OK);
        Assert.Equal(open, await ClaimAndSubmitAsync(worker));
        (await owner.Client.PatchApiAsync(ProjectPath(open), new { status = "paused" })).Is(HttpStatusCode.OK);
        await AssertNoRoutedWorkAsync(worker, "every project with work is paused or closed");
        Assert.True(resumedAfter < RoutingDelay && createdAfter < RoutingDelay, $"resumed seen after {resumedAfter}, created after {createdAfter}");
    }

    /// <summary>
    /// 30 projects in three tiers (plus five needing a second skill, a fourth tier) with three tasks each, drained
    /// by workers of different levels taking turns: each claim must be exactly the project routing promises — the
    /// highest tier the worker qualifies for with a free task, then priority, reward and id — and each task the
    /// highest-priority one left there.
    /// </summary>
    [Fact]
    public async Task ManyProjectsInSeveralTiers_EachClaimIsTheBestProjectTheWorkerQualifiesFor()
    {
        var skill = NewSkill();
        var second = NewSkill();
        var owner = await CreateRequesterAsync();
        var random = new Random(20261126);
        var projects = new List<Model>();
        async Task Add(int count, int tier, (string, int)[] requirements)
        {
            for (var i = 0; i < count; i++)
            {
                var id = NewId("prj");
                var priority = random.Next(0, 3);
                var reward = random.Next(0, 3) * 0.05m;
                var taskPriorities = Enumerable.Range(0, 3).Select(n => (random.Next(-300, 300) * 3) + n).ToList();
                var settings = $$"""{"priority":{{priority}},"reward":{{Number(reward)}}""" +
                    (requirements.Length == 0 ? "}" : $$""","requirements":{{Requires(requirements)}} }""");
                await CreateProjectAsync(owner.Client, With(ProjectBody(id), settings));
                await ImportAsync(owner.Client, id, Tasks([.. taskPriorities.Select((p, n) => ($"t{n}", p, (string?)null))]));
                projects.Add(new Model(id, tier, requirements, priority, reward, taskPriorities.Select((p, n) => ($"t{n}", p)).ToList()));
            }
        }

        await Add(10, 0, []);
        await Add(10, 1, [(skill, 1)]);
        await Add(10, 2, [(skill, 2)]);
        await Add(5, 3, [(skill, 1), (second, 3)]);
        var workers = new List<(Worker Worker, Dictionary<string, int> Levels)>
        {
            (await WorkerAsync(), []),
            (await WorkerAsync(certifications: (skill, 1)), new() { [skill] = 1 }),
            (await WorkerAsync(certifications: (skill, 2)), new() { [skill] = 2 }),
            (await WorkerAsync(certifications: [(skill, 2), (second, 3)]), new() { [skill] = 2, [second] = 3 }),
            (await WorkerAsync(certifications: [(skill, 5), (second, 2)]), new() { [skill] = 5, [second] = 2 }),
        };
        await RoutingSeesChangesAsync();

        var idle = new HashSet<string>();
        var claims = 0;
        var byTier = new int[4];
        var turn = 0;
        while (idle.Count < workers.Count && claims < 500)
        {
            var (worker, levels) = workers[turn++ % workers.Count];
            var expected = projects
                .Where(p => p.Free.Count > 0 && p.Requirements.All(r => levels.GetValueOrDefault(r.Skill) >= r.MinLevel))
                .OrderByDescending(p => p.Tier).ThenByDescending(p => p.Priority).ThenByDescending(p => p.Reward)
                .ThenBy(p => p.Id, StringComparer.Ordinal)
                .FirstOrDefault();
            var response = await RoutedClaimAsync(worker);
            claims++;
            if (expected is null)
            {
                Assert.True(response.Status == HttpStatusCode.NoContent, $"{worker.Id} qualifies for no project with free work, yet: {response}");
                idle.Add(worker.Id);
                continue;
            }

            idle.Remove(worker.Id);
            var lease = ToLease(response, projectId: null);
            var got = projects.SingleOrDefault(p => p.Id == lease.ProjectId)
                ?? throw new XunitException($"{worker.Id} was routed to a project of no test: {response}");
            Assert.True(
                got.Requirements.All(r => levels.GetValueOrDefault(r.Skill) >= r.MinLevel),
                $"{worker.Id} ({string.Join(", ", levels)}) got work of {got} it does not qualify for: {response}");
            Assert.True(
                got.Id == expected.Id,
                $"{worker.Id} ({string.Join(", ", levels)}) expected {expected}, got {got}: {response}");
            var expectedTask = got.Free.OrderByDescending(t => t.Priority).First().Id;
            Assert.True(lease.TaskId == expectedTask, $"expected task {expectedTask} of {got}, got: {response}");
            got.Free.RemoveAll(t => t.Id == lease.TaskId);
            byTier[got.Tier]++;
            await SubmitOkAsync(worker, lease);
        }

        Assert.True(projects.All(p => p.Free.Count == 0), $"work left after {claims} claims: {string.Join(", ", projects.Where(p => p.Free.Count > 0))}");
        Assert.Equal([30, 30, 30, 15], byTier);
        foreach (var project in projects)
        {
            await AssertCountsAsync(owner.Client, project.Id, total: 3, open: 0, completed: 3, submissions: 3);
        }
    }

    /// <summary>
    /// The same kind of catalogue drained by workers all at once. Each lease must be of a project the worker
    /// qualifies for, and no task of a higher tier the worker qualifies for may have been free for the whole time
    /// its claim took: with overlap 1 and no lease ever ended unsubmitted, a task is free until the claim that took
    /// it, so one whose claim began only after ours had answered (or that nobody took) was free all along.
    /// </summary>
    [Fact]
    public async Task ManyProjectsInSeveralTiers_DrainedConcurrently_NoWorkerSkipsAHigherTierItQualifiesFor()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var tierOf = new Dictionary<string, int>();
        var tasksOf = new Dictionary<string, int>();
        for (var tier = 0; tier <= 3; tier++)
        {
            for (var i = 0; i < 10; i++)
            {
                var settings = tier == 0 ? $$"""{"priority":{{i % 3}}}""" : $$"""{"priority":{{i % 3}},"requirements":{{Requires((skill, tier))}} }""";
                var projectId = await ProjectWithTasksAsync(owner, settings, SmallTasks(2 + (i % 3), "t"));
                tierOf[projectId] = tier;
                tasksOf[projectId] = 2 + (i % 3);
            }
        }

        var levels = new[] { 0, 1, 2, 3, 0, 1, 2, 3 };
        var workers = new List<(Worker Worker, int Level)>();
        foreach (var level in levels)
        {
            workers.Add((level == 0 ? await WorkerAsync() : await WorkerAsync(certifications: (skill, level)), level));
        }

        await RoutingSeesChangesAsync();
        var clock = Stopwatch.StartNew();
        var leases = new System.Collections.Concurrent.ConcurrentBag<(string WorkerId, int Level, string ProjectId, string TaskId, TimeSpan Sent, TimeSpan Answered)>();
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Task.WhenAll(workers.Select(w => Task.Run(async () =>
        {
            for (var claims = 0; claims < 200; claims++)
            {
                var sent = clock.Elapsed;
                var response = await RoutedClaimAsync(w.Worker);
                var answered = clock.Elapsed;
                if (response.Status == HttpStatusCode.NoContent)
                {
                    return;
                }

                if (response.Status != HttpStatusCode.Created)
                {
                    unexpected.Enqueue(response.ToString());
                    return;
                }

                var lease = ToLease(response, projectId: null);
                leases.Add((w.Worker.Id, w.Level, lease.ProjectId, lease.TaskId, sent, answered));
                var submit = await SubmitAsync(w.Worker, lease.LeaseId);
                if (submit.Status != HttpStatusCode.OK)
                {
                    unexpected.Enqueue(submit.ToString());
                }
            }
        })));

        Assert.True(unexpected.IsEmpty, $"unexpected answers: {string.Join(Environment.NewLine, unexpected)}");
        Assert.Equal(tasksOf.Values.Sum(), leases.Count);
        Assert.Equal(leases.Count, leases.Select(l => (l.ProjectId, l.TaskId)).Distinct().Count());
        var violations = new List<string>();
        foreach (var lease in leases)
        {
            if (!tierOf.TryGetValue(lease.ProjectId, out var tier) || tier > lease.Level)
            {
                violations.Add($"{lease.WorkerId} (level {lease.Level}) got {lease.ProjectId} (tier {(tierOf.TryGetValue(lease.ProjectId, out var t) ? t : -1)})");
                continue;
            }

            var skipped = leases.Where(other => tierOf[other.ProjectId] > tier && tierOf[other.ProjectId] <= lease.Level && other.Sent > lease.Answered).ToList();
            if (skipped.Count > 0)
            {
                violations.Add(
                    $"{lease.WorkerId} (level {lease.Level}) got tier {tier} at {lease.Answered.TotalMilliseconds:0} ms while {skipped.Count} tasks of tiers up to " +
                    $"{lease.Level} were free until claimed later, e.g. tier {tierOf[skipped[0].ProjectId]} claimed at {skipped[0].Sent.TotalMilliseconds:0} ms");
            }
        }

        Assert.True(violations.Count == 0, $"{violations.Count} routing violations:{Environment.NewLine}{string.Join(Environment.NewLine, violations.Take(10))}");
        Assert.All(tierOf.Keys, projectId => Assert.Equal(tasksOf[projectId], leases.Count(l => l.ProjectId == projectId)));
    }

    private sealed record Model(string Id, int Tier, (string Skill, int MinLevel)[] Requirements, int Priority, decimal Reward, List<(string Id, int Priority)> Free)
    {
        public override string ToString() => $"{Id} (tier {Tier}, priority {Priority}, reward {Reward}, {Free.Count} free)";
    }

    /// <summary>Routed claims and submits until <c>204</c>; returns the project of each lease in order.</summary>
    private static async Task<List<string>> DrainAsync(Worker worker)
    {
        var projects = new List<string>();
        while (projects.Count < 100)
        {
            var response = await RoutedClaimAsync(worker);
            if (response.Status == HttpStatusCode.NoContent)
            {
                return projects;
            }

            var lease = ToLease(response, projectId: null);
            projects.Add(lease.ProjectId);
            await SubmitOkAsync(worker, lease);
        }

        throw new XunitException($"{worker.Id} never ran out of work: {string.Join(", ", projects)}");
    }

    private static async Task<string> ClaimAndSubmitAsync(Worker worker)
    {
        var lease = await RoutedLeaseAsync(worker);
        await SubmitOkAsync(worker, lease);
        return lease.ProjectId;
    }

    /// <summary>Claims (and submits) every 100 ms until a lease of <paramref name="projectId"/>; fails after 1.5 s.</summary>
    private static async Task<TimeSpan> RoutedToWithinAsync(Worker worker, string projectId)
    {
        var clock = Stopwatch.StartNew();
        var seen = new List<string>();
        while (true)
        {
            var response = await RoutedClaimAsync(worker);
            if (response.Status == HttpStatusCode.Created)
            {
                var lease = ToLease(response, projectId: null);
                await SubmitOkAsync(worker, lease);
                if (lease.ProjectId == projectId)
                {
                    return clock.Elapsed;
                }

                seen.Add(lease.ProjectId);
            }
            else
            {
                seen.Add(response.ToString());
            }

            if (clock.Elapsed > RoutingDelay)
            {
                throw new XunitException($"routing did not serve {projectId} within {RoutingDelay.TotalSeconds} s; served: {string.Join(", ", seen)}");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>Certification routing on in-memory storage.</summary>
public sealed class CertificationRoutingTests_Memory(TierMemoryHost host) : CertificationRoutingTests, IClassFixture<TierMemoryHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Certification routing on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CertificationRoutingTests_Postgres(PostgresServer postgres, TierPostgresHost host)
    : CertificationRoutingTests, IClassFixture<TierPostgresHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
