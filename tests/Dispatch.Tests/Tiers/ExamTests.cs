using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// Qualification exams (docs/api.md, <c>exam</c>): every task golden, overlap ignored (every eligible worker takes every
/// task once, tasks stay open); once a worker has submitted them all, a score at or above <c>passScore</c> grants
/// (or raises to) the skill and level with <c>source: "exam"</c> and a <c>worker.certified</c> event.
/// </summary>
public abstract class ExamTests : TierTestBase
{
    private static string ExamSettings(string skill, int level, double passScore, string? requirements = null, int? overlap = null) =>
        $$"""{"exam":{"skill":"{{skill}}","level":{{level}},"passScore":{{passScore.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }""" +
        (requirements is null ? "" : $$""","requirements":{{requirements}}""") +
        (overlap is null ? "" : $$""","overlap":{{overlap}}""") + "}";

    [Fact]
    public async Task PassingTheExam_GrantsTheSkillWithSourceExam_AndPublishesWorkerCertified()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var exam = await ProjectWithTasksAsync(owner, ExamSettings(skill, 2, 0.8), GoldenTasks("q", 5));
        var worker = await WorkerAsync();
        await using var events = await EventsAsync(owner.Client, exam);

        var before = DateTimeOffset.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(await CertificationAsync(worker.Id, skill));
            await AnswerAsync(worker, await ClaimLeaseAsync(worker, exam), correctly: i != 3);
        }

        var certification = await CertificationAsync(worker.Id, skill)
            ?? throw new XunitException($"4 of 5 with passScore 0.8 granted nothing: {(await GetWorkerAsync(Admin, worker.Id)).ToJsonString()}");
        Assert.Equal(2, certification["level"]!.GetValue<int>());
        Assert.Equal("exam", certification["source"]!.GetValue<string>());
        Assert.False(certification["suspended"]!.GetValue<bool>());
        var grantedAt = ApiAssert.IsUtcTimestamp(certification["grantedAt"], "grantedAt");
        Assert.True(grantedAt >= before - ClockSlack && grantedAt <= DateTimeOffset.UtcNow + ClockSlack, $"grantedAt {grantedAt:O}");

        var certified = await events.WaitForEventAsync("worker.certified", workerId: worker.Id);
        Assert.Equal(exam, certified.Json["projectId"]?.GetValue<string>());
        Assert.Equal(skill, certified.Json["data"]?["skill"]?.GetValue<string>());
        Assert.Equal(2, certified.Json["data"]?["level"]?.GetValue<int>());
        Assert.Equal(0.8, certified.Json["data"]?["score"]?.GetValue<double>());

        // Taken once: nothing more for this worker; the tasks stay open for the next candidates.
        (await ClaimAsync(worker, exam)).IsEmpty(HttpStatusCode.NoContent);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("open", StateOf(await GetTaskAsync(owner.Client, exam, $"q-{i}")));
        }

        await AssertCountsAsync(owner.Client, exam, total: 5, open: 5, submissions: 5);
    }

    [Fact]
    public async Task FailingTheExam_ChangesNothing()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var exam = await ProjectWithTasksAsync(owner, ExamSettings(skill, 2, 0.8), GoldenTasks("q", 5));
        var newcomer = await WorkerAsync();
        var holder = await WorkerAsync(certifications: (skill, 1));
        var heldBefore = (await CertificationAsync(holder.Id, skill))!.ToJsonString();
        await using var events = await EventsAsync(owner.Client, exam);

        foreach (var worker in new[] { newcomer, holder })
        {
            for (var i = 0; i < 5; i++)
            {
                await AnswerAsync(worker, await ClaimLeaseAsync(worker, exam), correctly: i < 3);
            }
        }

        Assert.Null(await CertificationAsync(newcomer.Id, skill));
        Assert.Equal(heldBefore, (await CertificationAsync(holder.Id, skill))!.ToJsonString());
        await events.WaitForAsync(f => f.Event == "task.submitted" && f.Json["workerId"]?.GetValue<string>() == holder.Id && f.Json["taskId"]?.GetValue<string>() == "q-4", "last submission");
        await Task.Delay(300);
        Assert.DoesNotContain(events.Frames, f => f.Event == "worker.certified");
    }

    [Fact]
    public async Task AnExamWithRequirements_IsOnlyForWorkersWhoMeetThem()
    {
        var skill = NewSkill();
        var advanced = NewSkill();
        var owner = await CreateRequesterAsync();
        var exam = await ProjectWithTasksAsync(owner, ExamSettings(advanced, 1, 1.0, Requires((skill, 2))), GoldenTasks("q", 3));
        var uncertified = await WorkerAsync();
        var tooLow = await WorkerAsync(certifications: (skill, 1));
        var candidate = await WorkerAsync(certifications: (skill, 2));
        await RoutingSeesChangesAsync();

        foreach (var worker in new[] { uncertified, tooLow })
        {
            await AssertForbiddenClaimAsync(worker, exam);
            await AssertNoRoutedWorkAsync(worker, $"{worker.Id} does not meet the exam's requirements");
        }

        for (var i = 0; i < 3; i++)
        {
            var lease = await RoutedLeaseAsync(candidate);
            Assert.Equal(exam, lease.ProjectId);
            await AnswerAsync(candidate, lease, correctly: true);
        }

        await AssertNoRoutedWorkAsync(candidate, "the candidate took every exam task");
        var granted = await CertificationAsync(candidate.Id, advanced);
        Assert.True(granted is not null, $"passing the exam granted nothing: {(await GetWorkerAsync(Admin, candidate.Id)).ToJsonString()}");
        Assert.Equal((1, "exam"), (granted["level"]!.GetValue<int>(), granted["source"]!.GetValue<string>()));
        Assert.Equal(2, (await CertificationAsync(candidate.Id, skill))!["level"]!.GetValue<int>());
    }

    [Fact]
    public async Task PassingTheExam_RaisesALowerLevel_KeepsAHigherOne_AndLiftsASuspension()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var exam = await ProjectWithTasksAsync(owner, ExamSettings(skill, 3, 0.5), GoldenTasks("q", 2));
        var judged = await ProjectWithTasksAsync(
            owner, $$"""{"overlap":5,"requirements":{{Requires((skill, 1))}},"quality":{"minGolden":1,"minAccuracy":1.0} }""", GoldenTasks("g", 1));
        var lower = await WorkerAsync(certifications: (skill, 1));
        var higher = await WorkerAsync(certifications: (skill, 5));
        var suspended = await WorkerAsync(certifications: (skill, 3));
        await AnswerAsync(suspended, await ClaimLeaseAsync(suspended, judged), correctly: false);
        Assert.True((await CertificationAsync(suspended.Id, skill))!["suspended"]!.GetValue<bool>());

        foreach (var worker in new[] { lower, higher, suspended })
        {
            await AnswerAsync(worker, await ClaimLeaseAsync(worker, exam), correctly: true);
            await AnswerAsync(worker, await ClaimLeaseAsync(worker, exam), correctly: false);
        }

        var raised = (await CertificationAsync(lower.Id, skill))!;
        Assert.Equal((3, "exam", false), (raised["level"]!.GetValue<int>(), raised["source"]!.GetValue<string>(), raised["suspended"]!.GetValue<bool>()));
        var kept = (await CertificationAsync(higher.Id, skill))!;
        Assert.True(kept["level"]!.GetValue<int>() == 5, $"passing a level-3 exam lowered level 5: {kept.ToJsonString()}");
        var lifted = (await CertificationAsync(suspended.Id, skill))!;
        Assert.Equal((3, "exam", false), (lifted["level"]!.GetValue<int>(), lifted["source"]!.GetValue<string>(), lifted["suspended"]!.GetValue<bool>()));

        // No longer refused: its only task was taken by this worker before, so there is simply nothing left.
        (await ClaimAsync(suspended, judged)).IsEmpty(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ExamTasks_AreServedToEveryEligibleWorker_WhateverTheOverlap()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var exam = await ProjectWithTasksAsync(owner, ExamSettings(skill, 1, 1.0, overlap: 1), GoldenTasks("q", 3));
        var workers = new List<Worker>();
        for (var i = 0; i < 8; i++)
        {
            workers.Add(await WorkerAsync());
        }

        await RoutingSeesChangesAsync();
        var taken = new ConcurrentBag<(string WorkerId, string TaskId)>();
        await Task.WhenAll(workers.Select((worker, n) => Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var lease = n % 2 == 0 ? await ClaimLeaseAsync(worker, exam) : await RoutedLeaseAsync(worker);
                Assert.Equal(exam, lease.ProjectId);
                taken.Add((worker.Id, lease.TaskId));
                await AnswerAsync(worker, lease, correctly: true);
            }

            (await ClaimAsync(worker, exam)).IsEmpty(HttpStatusCode.NoContent);
        })));

        foreach (var worker in workers)
        {
            Assert.Equal(["q-0", "q-1", "q-2"], taken.Where(t => t.WorkerId == worker.Id).Select(t => t.TaskId).Order());
            Assert.Equal(1, (await CertificationAsync(worker.Id, skill))?["level"]?.GetValue<int>());
        }

        await AssertCountsAsync(owner.Client, exam, total: 3, open: 3, submissions: 24);
        var view = await GetTaskAsync(owner.Client, exam, "q-0");
        Assert.Equal("open", StateOf(view));
        Assert.Equal(8, view["submissions"]!.AsArray().Count);
    }

    [Fact]
    public async Task AnExamTaskWithoutGoldenAnswer_Is400Validation_AndNothingIsStored()
    {
        var skill = NewSkill();
        var owner = await CreateRequesterAsync();
        var exam = await CreateProjectAsync(owner.Client, ExamSettings(skill, 1, 0.5));

        var response = await owner.Client.PostApiAsync($"{ProjectPath(exam)}/tasks", $$"""{"tasks":{{Tasks(("q-0", 0, GoldenFor("q-0")), ("q-1", 0, null))}} }""");
        response.IsValidationProblem();
        await AssertCountsAsync(owner.Client, exam, total: 0, open: 0);
        (await owner.Client.GetApiAsync(TaskPath(exam, "q-0"))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }
}

/// <summary>Exams on in-memory storage.</summary>
public sealed class ExamTests_Memory(TierMemoryHost host) : ExamTests, IClassFixture<TierMemoryHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Exams on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ExamTests_Postgres(PostgresServer postgres, TierPostgresHost host)
    : ExamTests, IClassFixture<TierPostgresHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
