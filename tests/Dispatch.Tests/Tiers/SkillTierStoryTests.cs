using System.Net;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// The whole story over HTTP, with routed claims only: a new worker passes the level-2 exam, meets level-2 work
/// before work anyone may do, answers the golden tasks of that work badly, is suspended, and from then on gets only
/// work that needs no certification.
/// </summary>
public abstract class SkillTierStoryTests : TierTestBase
{
    private const string Skill = "image-labeling";

    [Fact]
    public async Task NewWorker_PassesTheExam_GetsLevel2WorkFirst_FailsItsGoldenTasks_AndIsSuspended()
    {
        var owner = await CreateRequesterAsync();

        // The exam comes first for a newcomer because of its priority; the open work pays and is urgent too.
        var exam = await ProjectWithTasksAsync(
            owner, $$"""{"priority":100,"exam":{"skill":"{{Skill}}","level":2,"passScore":0.8} }""", GoldenTasks("exam", 5));
        var open = await ProjectWithTasksAsync(owner, """{"priority":10,"reward":0.02,"overlap":2}""", SmallTasks(3, "open"));
        var level2 = await ProjectWithTasksAsync(
            owner,
            $$"""{"reward":0.25,"requirements":{{Requires((Skill, 2))}},"quality":{"minGolden":3,"minAccuracy":0.7} }""",
            Tasks(("first", 20, null), ("gold-0", 10, GoldenFor("gold-0")), ("gold-1", 10, GoldenFor("gold-1")), ("gold-2", 10, GoldenFor("gold-2")), ("later-0", 0, null), ("later-1", 0, null)));
        var worker = await WorkerAsync();
        await using var examEvents = await EventsAsync(owner.Client, exam);
        await using var level2Events = await EventsAsync(owner.Client, level2);
        await RoutingSeesChangesAsync();

        // 1. The exam: five golden tasks, four right. Not certified until the last one is in.
        for (var i = 0; i < 5; i++)
        {
            var lease = await RoutedLeaseAsync(worker);
            Assert.Equal(exam, lease.ProjectId);
            Assert.Null(await CertificationAsync(worker.Id, Skill));
            await AnswerAsync(worker, lease, correctly: i != 2);
        }

        var certified = await CertificationAsync(worker.Id, Skill);
        Assert.True(certified is not null, $"4 of 5 on a 0.8 exam certified nothing: {(await GetWorkerAsync(Admin, worker.Id)).ToJsonString()}");
        Assert.Equal((2, "exam", false), (certified["level"]!.GetValue<int>(), certified["source"]!.GetValue<string>(), certified["suspended"]!.GetValue<bool>()));
        var passed = await examEvents.WaitForEventAsync("worker.certified", workerId: worker.Id);
        Assert.Equal((Skill, 2, 0.8), (passed.Json["data"]!["skill"]!.GetValue<string>(), passed.Json["data"]!["level"]!.GetValue<int>(), passed.Json["data"]!["score"]!.GetValue<double>()));

        // 2. Level-2 work before the open work, though the open work has the higher priority. The worker keeps the
        // first lease open and answers the three golden tasks wrong.
        var held = await RoutedLeaseAsync(worker);
        Assert.Equal((level2, "first"), (held.ProjectId, held.TaskId));
        for (var i = 0; i < 3; i++)
        {
            var lease = await RoutedLeaseAsync(worker);
            Assert.Equal(level2, lease.ProjectId);
            Assert.StartsWith("gold-", lease.TaskId);
            Assert.False((await CertificationAsync(worker.Id, Skill))!["suspended"]!.GetValue<bool>(), $"suspended after {i} golden answers");
            await AnswerAsync(worker, lease, correctly: false);
        }

        // 3. Suspended: the event, the view, the held lease ended at once.
        var suspension = await level2Events.WaitForEventAsync("worker.suspended", workerId: worker.Id);
        Assert.Equal(Skill, suspension.Json["data"]!["skill"]!.GetValue<string>());
        var view = await GetWorkerAsync(worker.Client, worker.Id);
        var certification = view["certifications"]!.AsArray().Single()!;
        Assert.Equal((2, true), (certification["level"]!.GetValue<int>(), certification["suspended"]!.GetValue<bool>()));
        Assert.Equal(0, view["activeLeases"]!.GetValue<int>());
        Assert.Equal((8L, 8L, 4L, (double?)0.5), Stats(view));
        Assert.Equal(0.75m, Earnings(view));
        Assert.Equal("released", StateOf(LeaseOf(await GetTaskAsync(owner.Client, level2, "first"), held.LeaseId)));
        (await SubmitAsync(worker, held.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");

        // 4. From now on only work that needs no certification, though level-2 work is left.
        var after = new List<string>();
        while (after.Count < 10 && await RoutedClaimAsync(worker) is { Status: HttpStatusCode.Created } response)
        {
            var lease = ToLease(response, projectId: null);
            after.Add(lease.ProjectId);
            await SubmitOkAsync(worker, lease);
        }

        Assert.Equal([open, open, open], after);
        await AssertForbiddenClaimAsync(worker, level2);
        await AssertCountsAsync(owner.Client, level2, total: 6, open: 3, completed: 3, submissions: 3);
        Assert.Equal(0.81m, Earnings(await GetWorkerAsync(Admin, worker.Id)));
    }
}

/// <summary>The story on in-memory storage.</summary>
public sealed class SkillTierStoryTests_Memory(TierMemoryHost host) : SkillTierStoryTests, IClassFixture<TierMemoryHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>The story on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SkillTierStoryTests_Postgres(PostgresServer postgres, TierPostgresHost host)
    : SkillTierStoryTests, IClassFixture<TierPostgresHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
