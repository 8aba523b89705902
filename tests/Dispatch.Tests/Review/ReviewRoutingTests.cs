using System.Net;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Tiers;
using Xunit.Sdk;

namespace Dispatch.Tests.CrowdReview;

/// <summary>
/// Tier-first routing of review work (docs/api.md, Review, crowd mode): a claim without a project ranks a project's
/// review items as a project of their own whose level is the highest <c>minLevel</c> of <c>review.requirements</c>, so
/// reviewers certified at that level meet review work before work that needs less, and a worker below it never sees it.
/// </summary>
public abstract class ReviewRoutingTests : TierTestBase
{
    private static string CrowdReview(string skill, int level, string extra) =>
        $$"""{"review":{"mode":"crowd","requirements":{{Requires((skill, level))}}},{{extra}}}""";

    [Fact]
    public async Task RoutedClaim_ServesReviewItemsAtTheirLevel_BeforeLowerLevelLabelling_AndNeverBelowIt()
    {
        var reviewing = NewSkill();
        var labelling = NewSkill();
        var owner = await CreateRequesterAsync();

        // Review items of `reviewed` rank at level 3; its own tasks need nothing; `level2` needs labelling level 2 and
        // has the higher priority, which does not beat a higher level.
        var reviewed = await ProjectWithTasksAsync(owner, CrowdReview(reviewing, 3, "\"overlap\":1"), SmallTasks(4, "p"));
        var level2 = await ProjectWithTasksAsync(owner, $$"""{"overlap":2,"priority":100,"requirements":{{Requires((labelling, 2))}}}""", SmallTasks(2, "s"));
        var labeller = await WorkerAsync();
        for (var i = 0; i < 2; i++)
        {
            var lease = await ClaimLeaseAsync(labeller, reviewed);
            Assert.Equal("task", ReviewWork.KindOf(lease.Body));
            await SubmitOkAsync(labeller, lease, new { label = "cat" });
        }

        var belowLevel = await WorkerAsync(5, (reviewing, 2), (labelling, 2));
        var atLevel = await WorkerAsync(5, (reviewing, 3), (labelling, 2));
        await RoutingSeesChangesAsync();

        // Below the review level: labelling by level, then the open tasks, and never one of the waiting review items.
        Assert.Equal(
            [("task", level2), ("task", level2), ("task", reviewed), ("task", reviewed)],
            await DrainAsync(belowLevel));
        await AssertNoRoutedWorkAsync(belowLevel, "only review items of level 3 are left", waitSeconds: 1);

        // At the review level: all four review items (the labeller's and the one below's) before the level-2 labelling.
        Assert.Equal(
            [("review", reviewed), ("review", reviewed), ("review", reviewed), ("review", reviewed), ("task", level2), ("task", level2)],
            await DrainAsync(atLevel));
        Assert.Equal("completed", StateOf(await GetTaskAsync(owner.Client, reviewed, "p-3")));
    }

    [Fact]
    public async Task AWorkerBelowTheReviewLevel_NeverSeesReviewItems_RoutedOrNamed()
    {
        var reviewing = NewSkill();
        var owner = await CreateRequesterAsync();
        var reviewed = await ProjectWithTasksAsync(owner, CrowdReview(reviewing, 2, "\"overlap\":1"), SmallTasks(2, "p"));
        var labeller = await WorkerAsync();
        for (var i = 0; i < 2; i++)
        {
            await SubmitOkAsync(labeller, await ClaimLeaseAsync(labeller, reviewed), new { label = "cat" });
        }

        var below = await WorkerAsync(5, (reviewing, 1));
        var uncertified = await WorkerAsync();
        var reviewer = await WorkerAsync(5, (reviewing, 2));
        await RoutingSeesChangesAsync();

        await AssertNoRoutedWorkAsync(below, "two review items wait, but for level 2", waitSeconds: 1);
        await AssertNoRoutedWorkAsync(uncertified, "two review items wait, but for level 2");
        (await ClaimAsync(below, reviewed)).IsEmpty(HttpStatusCode.NoContent);

        var review = ReviewWork.AsReview((await RoutedLeaseAsync(reviewer)).Body);
        Assert.Equal(reviewed, review.ProjectId);
        await AssertNoRoutedWorkAsync(below, "one review item is leased, the other waits for level 2");
    }

    /// <summary>Routed claims until <c>204</c>, accepting every review and submitting every task; the (kind, project) of each lease.</summary>
    private static async Task<List<(string Kind, string ProjectId)>> DrainAsync(Worker worker)
    {
        var served = new List<(string, string)>();
        while (served.Count < 100)
        {
            var response = await RoutedClaimAsync(worker);
            if (response.Status == HttpStatusCode.NoContent)
            {
                return served;
            }

            var lease = ToLease(response, projectId: null);
            var kind = ReviewWork.KindOf(lease.Body);
            served.Add((kind, lease.ProjectId));
            if (kind == "review")
            {
                ReviewWork.AsReview(lease.Body);
                var body = (await SubmitJsonAsync(worker.Client, worker.Id, lease.LeaseId, ReviewWork.Verdict("accept"))).Is(HttpStatusCode.OK);
                Assert.Equal(lease.TaskId, body["taskId"]?.GetValue<string>());
            }
            else
            {
                await SubmitOkAsync(worker, lease, new { label = "cat" });
            }
        }

        throw new XunitException($"{worker.Id} never ran out of work: {string.Join(", ", served)}");
    }
}

/// <summary>Review routing on in-memory storage.</summary>
public sealed class ReviewRoutingTests_Memory(TierMemoryHost host) : ReviewRoutingTests, IClassFixture<TierMemoryHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Review routing on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReviewRoutingTests_Postgres(PostgresServer postgres, TierPostgresHost host) : ReviewRoutingTests, IClassFixture<TierPostgresHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
