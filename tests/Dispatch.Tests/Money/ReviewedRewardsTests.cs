using System.Net;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Money;

/// <summary>
/// With review, a reward is pending until its verdict: accepted, it is earned and entered in the ledger at the verdict's
/// time; rejected, it is never paid. Payouts can only spend what was accepted.
/// </summary>
public abstract class ReviewedRewardsTests : MoneyTestBase
{
    private static string ReviewPath(string projectId, string taskId, string workerId) =>
        $"{TaskPath(projectId, taskId)}/submissions/{Segment(workerId)}/review";

    [Fact]
    public async Task Reward_IsPendingUntilAccepted_NeverPaidWhenRejected_AndEnteredAtTheVerdict()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(
            """{"review":{"mode":"requester"},"overlap":1,"reward":0.25}""", SmallTasks(2, "t"));
        var worker = await CreateWorkerAsync();
        var first = await ClaimLeaseAsync(worker, projectId);
        await SubmitOkAsync(worker, first, new { label = "cat" });
        var second = await ClaimLeaseAsync(worker, projectId);
        await SubmitOkAsync(worker, second, new { label = "dog" });

        Assert.Equal(new Earnings(0m, 0.5m, 0m, 0m), await EarningsAsync(worker.Id));
        Assert.Empty(await LedgerAsync(Admin, worker.Id));
        (await PayoutAsync(Admin, worker.Id, 0.25m, "early")).IsProblem(HttpStatusCode.Conflict, "insufficient-balance");

        var beforeVerdict = DateTimeOffset.UtcNow;
        (await owner.Client.PostApiAsync(ReviewPath(projectId, first.TaskId, worker.Id), new { verdict = "accept" })).Is(HttpStatusCode.OK);
        (await owner.Client.PostApiAsync(ReviewPath(projectId, second.TaskId, worker.Id), new { verdict = "reject" })).Is(HttpStatusCode.OK);

        Assert.Equal(new Earnings(0.25m, 0m, 0m, 0.25m), await EarningsAsync(worker.Id));
        var ledger = await LedgerAsync(worker.Client, worker.Id);
        var reward = Assert.Single(ledger);
        Assert.Equal(("reward", 0.25m, first.TaskId), (reward.Kind, reward.Amount, reward.TaskId));
        Assert.True(reward.At >= beforeVerdict - ClockSlack, $"the reward was entered at {reward.At:O}, before its verdict at {beforeVerdict:O}");

        (await PayoutAsync(Admin, worker.Id, 0.2501m, "too-much")).IsProblem(HttpStatusCode.Conflict, "insufficient-balance");
        (await PayoutAsync(Admin, worker.Id, 0.25m, "all")).Is(HttpStatusCode.Created);
        await AssertLedgerAddsUpAsync(worker.Id, await LedgerAsync(Admin, worker.Id));
        Assert.Equal(new Earnings(0.25m, 0m, 0.25m, 0m), await EarningsAsync(worker.Id));
    }
}

/// <summary>Reviewed rewards on in-memory storage.</summary>
public sealed class ReviewedRewardsTests_Memory(MemoryApiHost host) : ReviewedRewardsTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Reviewed rewards on PostgreSQL storage.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReviewedRewardsTests_Postgres(PostgresServer postgres, PostgresApiHost host) : ReviewedRewardsTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
