using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Work;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// Golden tasks and the quality rule (docs/api.md, <c>quality</c>): golden answers never reach workers, submissions are
/// scored as JSON, worker <c>stats</c> count them, and a worker whose golden accuracy for a skill falls below the
/// project's <c>minAccuracy</c> after <c>minGolden</c> answers is suspended for that skill until an admin
/// certifies it again. Also <c>earnings</c>: an exact decimal sum, credited once per accepted submission.
/// </summary>
public abstract class GoldenAndQualityTests : TierTestBase
{
    private const string Secret = "golden-answer-only-the-requester-knows";

    [Fact]
    public async Task GoldenAnswers_NeverReachWorkers()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var golden = $$"""{"label":"{{Secret}}"}""";
        var named = await ProjectWithTasksAsync(owner, """{"overlap":2}""", Tasks(("g1", 0, golden), ("g2", 0, golden)));
        var routed = await ProjectWithTasksAsync(owner, $$"""{"requirements":{{Requires((skill, 1))}} }""", Tasks(("g", 0, golden)));
        var worker = await WorkerAsync(certifications: (skill, 1));
        await RoutingSeesChangesAsync();

        var claims = new List<ApiResponse>
        {
            await ClaimAsync(worker, named),
            await ClaimAsync(Admin, worker.Id, named),
            await RoutedClaimAsync(worker),
        };
        Assert.All(claims, c => Assert.Equal(HttpStatusCode.Created, c.Status));
        Assert.Equal(routed, claims[2].Json["projectId"]!.GetValue<string>());
        var leases = await worker.Client.GetApiAsync(LeasesPath(worker.Id));
        Assert.Equal(3, leases.Is(HttpStatusCode.OK)["items"]!.AsArray().Count);
        var asAdmin = await Admin.GetApiAsync(LeasesPath(worker.Id));
        foreach (var response in claims.Append(leases).Append(asAdmin))
        {
            Assert.False(response.Text.Contains(Secret, StringComparison.Ordinal), $"a golden answer reached a worker: {response}");
            Assert.False(response.Text.Contains("goldenAnswer", StringComparison.OrdinalIgnoreCase), $"a golden answer reached a worker: {response}");
        }
    }

    [Fact]
    public async Task Submissions_AreScoredAsJson_IgnoringKeyOrderAndWhitespace()
    {
        var owner = await CreateRequesterAsync();
        const string golden = """{"label":"cat","box":[1,2,3],"meta":{"a":1,"b":"x","c":null}}""";
        var projectId = await ProjectWithTasksAsync(owner, """{"overlap":6}""", Tasks(("golden", 1, golden), ("plain", 0, null)));
        var answers = new (string Result, bool Correct)[]
        {
            (golden, true),
            ("  {  \"meta\" : { \"c\" : null , \"b\":\"x\",  \"a\" : 1 } ,\"box\" : [ 1 , 2 , 3 ],\n\t \"label\" : \"cat\" }  ", true),
            ("""{"label":"dog","box":[1,2,3],"meta":{"a":1,"b":"x","c":null}}""", false),
            ("""{"label":"cat","box":[3,2,1],"meta":{"a":1,"b":"x","c":null}}""", false),
            ("""{"label":"cat","box":[1,2,3],"meta":{"a":1,"b":"x"}}""", false),
            ("""{"label":"cat","box":[1,2,3],"meta":{"a":1,"b":"x","c":null},"extra":true}""", false),
        };
        var expected = new Dictionary<string, bool>();
        foreach (var (result, correct) in answers)
        {
            var worker = await WorkerAsync();
            var lease = await ClaimLeaseAsync(worker, projectId);
            Assert.Equal("golden", lease.TaskId);
            await SubmitResultAsync(worker, lease, result);
            expected[worker.Id] = correct;
            var plain = await ClaimLeaseAsync(worker, projectId);
            Assert.Equal("plain", plain.TaskId);
            await SubmitResultAsync(worker, plain, golden);

            var stats = Stats(await GetWorkerAsync(Admin, worker.Id));
            Assert.Equal((2L, 1L, correct ? 1L : 0L, (double?)(correct ? 1.0 : 0.0)), stats);
        }

        var view = await GetTaskAsync(owner.Client, projectId, "golden");
        var submissions = view["submissions"]!.AsArray();
        Assert.Equal(answers.Length, submissions.Count);
        foreach (var submission in submissions)
        {
            var workerId = submission!["workerId"]!.GetValue<string>();
            Assert.True(
                submission["correct"]?.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
                $"a submission of a golden task has no correct: true|false: {view.ToJsonString()}");
            Assert.True(expected[workerId] == submission["correct"]!.GetValue<bool>(), $"{workerId} should be correct={expected[workerId]}: {view.ToJsonString()}");
        }

        var plainView = await GetTaskAsync(owner.Client, projectId, "plain");
        Assert.All(plainView["submissions"]!.AsArray(), s => Assert.False(s!.AsObject().ContainsKey("correct"), $"a non-golden submission has correct: {plainView.ToJsonString()}"));
    }

    [Fact]
    public async Task Stats_CountSubmissionsGoldenSeenGoldenCorrectAndAccuracy()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await ProjectWithTasksAsync(owner, "{}", GoldenTasks("g", 4, priority: 1));
        await ImportAsync(owner.Client, projectId, SmallTasks(2, "plain"));
        var worker = await WorkerAsync();

        var fresh = await GetWorkerAsync(worker.Client, worker.Id);
        Assert.Equal((0L, 0L, 0L, (double?)null), Stats(fresh));
        Assert.Equal(0m, Earnings(fresh));

        var plain = await ClaimLeaseAsync(worker, projectId);
        Assert.StartsWith("g-", plain.TaskId);
        await AnswerAsync(worker, plain, correctly: true);
        for (var i = 1; i < 4; i++)
        {
            var lease = await ClaimLeaseAsync(worker, projectId);
            await AnswerAsync(worker, lease, correctly: i != 2);
        }

        for (var i = 0; i < 2; i++)
        {
            var lease = await ClaimLeaseAsync(worker, projectId);
            Assert.StartsWith("plain-", lease.TaskId);
            await SubmitOkAsync(worker, lease);
        }

        Assert.Equal((6L, 4L, 3L, (double?)0.75), Stats(await GetWorkerAsync(worker.Client, worker.Id)));
    }

    [Fact]
    public async Task Suspension_HappensAtMinGolden_NotBefore_ReleasesLeasesNeedingTheSkill_AndAnAdminPutLiftsIt()
    {
        var skill = NewSkill();
        var otherSkill = NewSkill();
        var owner = await CreateRequesterAsync();
        var judged = await ProjectWithTasksAsync(
            owner, $$"""{"requirements":{{Requires((skill, 1))}},"quality":{"minGolden":3,"minAccuracy":0.7} }""", GoldenTasks("g", 5));
        var sameSkill = await ProjectWithTasksAsync(owner, $$"""{"overlap":3,"requirements":{{Requires((skill, 2))}} }""", SmallTasks(5, "s"));
        var elsewhere = await ProjectWithTasksAsync(owner, $$"""{"overlap":3,"requirements":{{Requires((otherSkill, 1))}} }""", SmallTasks(5, "e"));
        var open = await ProjectWithTasksAsync(owner, """{"overlap":3}""", SmallTasks(5, "o"));
        var worker = await WorkerAsync(maxActiveLeases: 10, certifications: [(skill, 2), (otherSkill, 1)]);
        await using var events = await EventsAsync(owner.Client, judged);
        await RoutingSeesChangesAsync();

        // Two wrong answers: accuracy 0, but fewer than minGolden seen, so no suspension yet.
        for (var i = 0; i < 2; i++)
        {
            await AnswerAsync(worker, await ClaimLeaseAsync(worker, judged), correctly: false);
            var held = await CertificationAsync(worker.Id, skill);
            Assert.False(held!["suspended"]!.GetValue<bool>(), $"suspended after {i + 1} golden answers, minGolden is 3: {held.ToJsonString()}");
        }

        var sameSkillLease = await ClaimLeaseAsync(worker, sameSkill);
        var elsewhereLease = await ClaimLeaseAsync(worker, elsewhere);
        var openLease = await ClaimLeaseAsync(worker, open);
        var third = await ClaimLeaseAsync(worker, judged);
        await AnswerAsync(worker, third, correctly: false);

        // Suspended now: the certification says so, the project's stream tells it, and the lease needing the skill
        // ended at once while the others go on.
        var view = await GetWorkerAsync(Admin, worker.Id);
        var certification = view["certifications"]!.AsArray().Single(c => c!["skill"]!.GetValue<string>() == skill)!;
        Assert.True(certification["suspended"]!.GetValue<bool>(), $"not suspended after 3 wrong golden answers: {view.ToJsonString()}");
        Assert.Equal(2, certification["level"]!.GetValue<int>());
        Assert.False(view["certifications"]!.AsArray().Single(c => c!["skill"]!.GetValue<string>() == otherSkill)!["suspended"]!.GetValue<bool>());
        Assert.Equal((3L, 3L, 0L, (double?)0.0), Stats(view));
        var suspended = await events.WaitForEventAsync("worker.suspended", workerId: worker.Id);
        Assert.Equal(skill, suspended.Json["data"]?["skill"]?.GetValue<string>());
        Assert.Equal(judged, suspended.Json["projectId"]?.GetValue<string>());

        var sameSkillTask = await GetTaskAsync(owner.Client, sameSkill, sameSkillLease.TaskId);
        Assert.True(StateOf(LeaseOf(sameSkillTask, sameSkillLease.LeaseId)) == "released", $"the lease needing {skill} is still going: {sameSkillTask.ToJsonString()}");
        Assert.Equal("active", StateOf(LeaseOf(await GetTaskAsync(owner.Client, elsewhere, elsewhereLease.TaskId), elsewhereLease.LeaseId)));
        Assert.Equal("active", StateOf(LeaseOf(await GetTaskAsync(owner.Client, open, openLease.TaskId), openLease.LeaseId)));
        var active = (await worker.Client.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK);
        Assert.Equal(new[] { elsewhereLease.LeaseId, openLease.LeaseId }.Order(), Ids(active, idName: "leaseId").Order());
        Assert.Equal(2, view["activeLeases"]!.GetValue<int>());
        (await SubmitAsync(worker, sameSkillLease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        await SubmitOkAsync(worker, elsewhereLease);
        await SubmitOkAsync(worker, openLease);

        // No more work needing the skill, named or routed: only the work of the other skill and the open work.
        await AssertForbiddenClaimAsync(worker, sameSkill);
        await AssertForbiddenClaimAsync(worker, judged);
        var routedTo = new List<string>();
        while (routedTo.Count < 20 && await RoutedClaimAsync(worker) is { Status: HttpStatusCode.Created } response)
        {
            var lease = ToLease(response, projectId: null);
            routedTo.Add(lease.ProjectId);
            await SubmitOkAsync(worker, lease);
        }

        Assert.Equal([.. Enumerable.Repeat(elsewhere, 4), .. Enumerable.Repeat(open, 4)], routedTo);

        // An admin PUT of the certification lifts the suspension.
        var lifted = await CertifyAsync(worker.Id, skill, 2);
        Assert.False(lifted["certifications"]!.AsArray().Single(c => c!["skill"]!.GetValue<string>() == skill)!["suspended"]!.GetValue<bool>());
        Assert.Equal(sameSkill, (await ClaimLeaseAsync(worker, sameSkill)).ProjectId);
        Assert.Equal(sameSkill, (await RoutedLeaseAsync(worker)).ProjectId);
    }

    [Fact]
    public async Task Suspension_NeedsAccuracyBelowMinAccuracy_NotEqual()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var judged = await ProjectWithTasksAsync(
            owner, $$"""{"requirements":{{Requires((skill, 1))}},"quality":{"minGolden":4,"minAccuracy":0.75} }""", GoldenTasks("g", 6));
        var worker = await WorkerAsync(certifications: (skill, 1));
        await using var events = await EventsAsync(owner.Client, judged);

        foreach (var correctly in new[] { true, true, false, true })
        {
            await AnswerAsync(worker, await ClaimLeaseAsync(worker, judged), correctly);
        }

        // 3 of 4: exactly 0.75, not below it.
        Assert.False((await CertificationAsync(worker.Id, skill))!["suspended"]!.GetValue<bool>(), "suspended at accuracy 0.75 with minAccuracy 0.75");
        await AnswerAsync(worker, await ClaimLeaseAsync(worker, judged), correctly: false);

        // 3 of 5: 0.6.
        Assert.True((await CertificationAsync(worker.Id, skill))!["suspended"]!.GetValue<bool>(), "not suspended at accuracy 0.6 with minAccuracy 0.75");
        await events.WaitForEventAsync("worker.suspended", workerId: worker.Id);
        Assert.Single(events.Frames, f => f.Event == "worker.suspended");
        await AssertForbiddenClaimAsync(worker, judged);
    }

    [Fact]
    public async Task GoldenScore_CountsGoldenTasksOfEveryProjectNeedingTheSkill_AndOnlyThose()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var anyone = await ProjectWithTasksAsync(owner, "{}", GoldenTasks("a", 5));
        var unjudged = await ProjectWithTasksAsync(owner, $$"""{"requirements":{{Requires((skill, 1))}} }""", GoldenTasks("u", 2));
        var judged = await ProjectWithTasksAsync(
            owner, $$"""{"requirements":{{Requires((skill, 1))}},"quality":{"minGolden":3,"minAccuracy":0.5} }""", GoldenTasks("j", 3));
        var worker = await WorkerAsync(certifications: (skill, 1));
        await using var events = await EventsAsync(owner.Client, judged);

        // Wrong golden answers where no project needs the skill do not count for it.
        for (var i = 0; i < 5; i++)
        {
            await AnswerAsync(worker, await ClaimLeaseAsync(worker, anyone), correctly: false);
        }

        await AnswerAsync(worker, await ClaimLeaseAsync(worker, judged), correctly: true);
        await AnswerAsync(worker, await ClaimLeaseAsync(worker, judged), correctly: false);
        Assert.False((await CertificationAsync(worker.Id, skill))!["suspended"]!.GetValue<bool>(), "golden answers of a project without requirements counted for the skill");

        // Wrong answers in a project needing the skill without a quality rule count, and are judged by the next
        // golden answer in a project that has one: 1 of 4 correct.
        await AnswerAsync(worker, await ClaimLeaseAsync(worker, unjudged), correctly: false);
        await AnswerAsync(worker, await ClaimLeaseAsync(worker, unjudged), correctly: false);
        Assert.False((await CertificationAsync(worker.Id, skill))!["suspended"]!.GetValue<bool>(), "a project without a quality rule suspended");
        await AnswerAsync(worker, await ClaimLeaseAsync(worker, judged), correctly: true);

        // 2 of 5 for the skill: below 0.5.
        var view = await GetWorkerAsync(Admin, worker.Id);
        Assert.True(
            view["certifications"]!.AsArray().Single()!["suspended"]!.GetValue<bool>(),
            $"golden answers in every project needing the skill (2 of 5 correct) should suspend: {view.ToJsonString()}");
        Assert.Equal((10L, 10L, 2L, (double?)0.2), Stats(view));
        var suspended = await events.WaitForEventAsync("worker.suspended", workerId: worker.Id);
        Assert.Equal(skill, suspended.Json["data"]?["skill"]?.GetValue<string>());
    }

    [Fact]
    public async Task Earnings_AreTheExactDecimalSumOfRewards_AndARetriedSubmitCountsOnce()
    {
        var owner = await CreateRequesterAsync();
        var nickel = await ProjectWithTasksAsync(owner, """{"reward":0.05}""", SmallTasks(7, "n"));
        var dime = await ProjectWithTasksAsync(owner, """{"reward":0.1}""", SmallTasks(3, "d"));
        var odd = await ProjectWithTasksAsync(owner, """{"reward":0.0001}""", SmallTasks(3, "x"));
        var free = await ProjectWithTasksAsync(owner, "{}", SmallTasks(2, "f"));
        var worker = await WorkerAsync();

        foreach (var (projectId, count) in new[] { (nickel, 7), (dime, 3), (odd, 3), (free, 2) })
        {
            for (var i = 0; i < count; i++)
            {
                var lease = await ClaimLeaseAsync(worker, projectId);
                if (i % 2 == 0)
                {
                    // The same submit sent twice at once: one is accepted, the other told the lease is not active.
                    var both = await Task.WhenAll(SubmitAsync(worker, lease.LeaseId), SubmitAsync(worker, lease.LeaseId));
                    Assert.True(
                        both.Count(r => r.Status == HttpStatusCode.OK) == 1,
                        $"two concurrent submits of one lease: {both[0]} / {both[1]}");
                    both.Single(r => r.Status != HttpStatusCode.OK).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
                }
                else
                {
                    await SubmitOkAsync(worker, lease);
                }

                (await SubmitAsync(worker, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
            }
        }

        var view = await GetWorkerAsync(worker.Client, worker.Id);
        Assert.Equal(0.6503m, Earnings(view));
        Assert.Equal(15L, Stats(view).Submitted);
        Assert.Equal(0.6503m, Earnings(await GetWorkerAsync(Admin, worker.Id)));
    }
}

/// <summary>Golden tasks and quality on in-memory storage.</summary>
public sealed class GoldenAndQualityTests_Memory(TierMemoryHost host) : GoldenAndQualityTests, IClassFixture<TierMemoryHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Golden tasks and quality on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class GoldenAndQualityTests_Postgres(PostgresServer postgres, TierPostgresHost host)
    : GoldenAndQualityTests, IClassFixture<TierPostgresHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
