using System.Net;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Money;

/// <summary>Bonuses, payouts and the ledger over HTTP, as docs/api.md describes them.</summary>
public abstract class MoneyTests : MoneyTestBase
{
    [Fact]
    public async Task Bonus_ByTheProjectsOwnerOrAdmin_IsCredited_AndAnswersWhatWasPaid()
    {
        var (owner, projectId, worker) = await WorkerWithRewardsAsync("0.05", submissions: 2);

        var byOwner = (await BonusAsync(owner.Client, worker.Id, projectId, 1.25m, "k1", "careful labels")).Is(HttpStatusCode.Created);
        Assert.Matches(GeneratedIdPattern(), byOwner["bonusId"]!.GetValue<string>());
        Assert.Equal((worker.Id, projectId, 1.25m, "careful labels"), (byOwner["workerId"]!.GetValue<string>(), byOwner["projectId"]!.GetValue<string>(), Decimal(byOwner["amount"], "amount"), byOwner["reason"]!.GetValue<string>()));
        Assert.InRange(ApiAssert.IsUtcTimestamp(byOwner["at"], "at"), DateTimeOffset.UtcNow - ClockSlack, DateTimeOffset.UtcNow + ClockSlack);
        var byAdmin = (await BonusAsync(Admin, worker.Id, projectId, 10_000m, "k2")).Is(HttpStatusCode.Created);
        Assert.NotEqual(byOwner["bonusId"]!.GetValue<string>(), byAdmin["bonusId"]!.GetValue<string>());

        Assert.Equal(new Earnings(10_001.35m, 0m, 0m, 10_001.35m), await EarningsAsync(worker.Id));
        var ledger = await LedgerAsync(worker.Client, worker.Id);
        Assert.Equal(["reward", "reward", "bonus", "bonus"], ledger.Select(e => e.Kind));
        Assert.Equal([byOwner["bonusId"]!.GetValue<string>(), byAdmin["bonusId"]!.GetValue<string>()], ledger.Skip(2).Select(e => e.EntryId));
        Assert.Equal("careful labels", ledger[2].Reference);
        Assert.Equal(projectId, ledger[2].ProjectId);
        Assert.Null(ledger[2].TaskId);
        await AssertLedgerAddsUpAsync(worker.Id, ledger);
    }

    [Fact]
    public async Task Bonus_FromAnotherRequesterOrAWorker_OrWithoutASubmission_IsRefused_AndStoresNothing()
    {
        var (_, projectId, worker) = await WorkerWithRewardsAsync("0.05", submissions: 1);
        var stranger = await CreateRequesterAsync();
        var idle = await CreateWorkerAsync();

        // Someone else's project answers as a missing one does (docs/api.md, authentication and roles).
        (await BonusAsync(stranger.Client, worker.Id, projectId, 1m, "k")).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await BonusAsync(worker.Client, worker.Id, projectId, 1m, "k")).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await BonusAsync(Admin, worker.Id, NewId("prj"), 1m, "k")).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await BonusAsync(Admin, idle.Id, projectId, 1m, "k")).IsProblem(HttpStatusCode.Conflict, "conflict");
        (await BonusAsync(Admin, NewId("nobody"), projectId, 1m, "k")).IsProblem(HttpStatusCode.NotFound, "not-found");

        Assert.Equal(new Earnings(0.05m, 0m, 0m, 0.05m), await EarningsAsync(worker.Id));
        Assert.Equal(["reward"], (await LedgerAsync(Admin, worker.Id)).Select(e => e.Kind));
        Assert.Empty(await LedgerAsync(Admin, idle.Id));
        Assert.Equal(new Earnings(0m, 0m, 0m, 0m), await EarningsAsync(idle.Id));
    }

    [Theory]
    [InlineData("""{"projectId":"P","amount":0,"reason":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"projectId":"P","amount":-1,"reason":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"projectId":"P","amount":10000.0001,"reason":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"projectId":"P","amount":1.00001,"reason":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"projectId":"P","amount":"1","reason":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"projectId":"P","reason":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"projectId":"P","amount":1,"idempotencyKey":"k"}""", "reason")]
    [InlineData("""{"projectId":"P","amount":1,"reason":"r"}""", "idempotencyKey")]
    [InlineData("""{"projectId":"P","amount":1,"reason":"r","idempotencyKey":""}""", "idempotencyKey")]
    [InlineData("""{"projectId":"P","amount":1,"reason":"r","idempotencyKey":"12345678901234567890123456789012345678901234567890123456789012345"}""", "idempotencyKey")]
    [InlineData("""{"projectId":"no spaces","amount":1,"reason":"r","idempotencyKey":"k"}""", "projectId")]
    [InlineData("""{"amount":1,"reason":"r","idempotencyKey":"k"}""", "projectId")]
    public async Task Bonus_OutOfBounds_Answers400_StoresNothing_AndLeavesTheKeyUnused(string body, string field)
    {
        var (owner, projectId, worker) = await WorkerWithRewardsAsync("0.05", submissions: 1);

        (await owner.Client.PostApiAsync(BonusesPath(worker.Id), body.Replace("\"P\"", $"\"{projectId}\"", StringComparison.Ordinal))).IsValidationProblem(field);

        Assert.Equal(["reward"], (await LedgerAsync(Admin, worker.Id)).Select(e => e.Kind));
        (await BonusAsync(owner.Client, worker.Id, projectId, 10_000m, "k")).Is(HttpStatusCode.Created);
        Assert.Equal(10_000.05m, (await EarningsAsync(worker.Id)).Balance);
    }

    [Fact]
    public async Task Bonus_SameKeyAndBody_AnswersTheFirstAnswer_AndPaysOnce_AnotherBodyIsAConflict()
    {
        var (owner, projectId, worker) = await WorkerWithRewardsAsync("0", submissions: 1);
        var other = await WorkerWithRewardsAsync("0", submissions: 1);

        var first = (await BonusAsync(owner.Client, worker.Id, projectId, 2.5m, "same")).Is(HttpStatusCode.Created);
        // The same body, also from the admin and with 2.50 for 2.5: the first answer, nothing paid.
        var again = (await BonusAsync(owner.Client, worker.Id, projectId, 2.5m, "same")).Is(HttpStatusCode.OK);
        var fromAdmin = (await Admin.PostApiAsync(BonusesPath(worker.Id), $$"""{"projectId":"{{projectId}}","amount":2.50,"reason":"good work","idempotencyKey":"same"}""")).Is(HttpStatusCode.OK);
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Equal(first.ToJsonString(), fromAdmin.ToJsonString());

        (await BonusAsync(owner.Client, worker.Id, projectId, 3m, "same")).IsProblem(HttpStatusCode.Conflict, "conflict");
        (await BonusAsync(owner.Client, worker.Id, projectId, 2.5m, "same", reason: "another reason")).IsProblem(HttpStatusCode.Conflict, "conflict");

        // Keys belong to the worker: another worker's "same" is a key of its own.
        (await BonusAsync(other.Owner.Client, other.Worker.Id, other.ProjectId, 1m, "same")).Is(HttpStatusCode.Created);

        var ledger = await LedgerAsync(Admin, worker.Id);
        Assert.Equal([first["bonusId"]!.GetValue<string>()], ledger.Select(e => e.EntryId));
        Assert.Equal(new Earnings(2.5m, 0m, 0m, 2.5m), await EarningsAsync(worker.Id));
        await AssertLedgerAddsUpAsync(worker.Id, ledger);
    }

    [Fact]
    public async Task RefusedCalls_LeaveTheirKeyUnused_AndBonusesAndPayoutsHaveKeysOfTheirOwn()
    {
        var (owner, projectId, worker) = await WorkerWithRewardsAsync("1", submissions: 1);
        var elsewhere = await CreateProjectAsync(owner.Client);

        (await BonusAsync(owner.Client, worker.Id, elsewhere, 5m, "k")).IsProblem(HttpStatusCode.Conflict, "conflict");
        (await PayoutAsync(Admin, worker.Id, 1.0001m, "k")).IsProblem(HttpStatusCode.Conflict, "insufficient-balance");
        Assert.Equal(new Earnings(1m, 0m, 0m, 1m), await EarningsAsync(worker.Id));

        (await BonusAsync(owner.Client, worker.Id, projectId, 5m, "k")).Is(HttpStatusCode.Created);
        (await PayoutAsync(Admin, worker.Id, 6m, "k")).Is(HttpStatusCode.Created);
        Assert.Equal(new Earnings(6m, 0m, 6m, 0m), await EarningsAsync(worker.Id));
        await AssertLedgerAddsUpAsync(worker.Id, await LedgerAsync(Admin, worker.Id));
    }

    [Fact]
    public async Task Payout_AboveTheBalance_IsInsufficientBalance_ExactlyTheBalanceIsPaid()
    {
        var (owner, projectId, worker) = await WorkerWithRewardsAsync("0.0003", submissions: 3);
        (await BonusAsync(owner.Client, worker.Id, projectId, 0.0001m, "b")).Is(HttpStatusCode.Created);

        var refused = (await PayoutAsync(Admin, worker.Id, 0.0011m, "p1")).IsProblem(HttpStatusCode.Conflict, "insufficient-balance");
        Assert.Contains("0.001", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(new Earnings(0.001m, 0m, 0m, 0.001m), await EarningsAsync(worker.Id));
        Assert.DoesNotContain(await LedgerAsync(Admin, worker.Id), e => e.Kind == "payout");

        var paid = (await PayoutAsync(Admin, worker.Id, 0.001m, "p2", reference: "SEPA 42")).Is(HttpStatusCode.Created);
        Assert.Matches(GeneratedIdPattern(), paid["payoutId"]!.GetValue<string>());
        Assert.Equal((worker.Id, 0.001m, "SEPA 42"), (paid["workerId"]!.GetValue<string>(), Decimal(paid["amount"], "amount"), paid["reference"]!.GetValue<string>()));
        Assert.Equal(new Earnings(0.001m, 0m, 0.001m, 0m), await EarningsAsync(worker.Id));
        (await PayoutAsync(Admin, worker.Id, 0.0001m, "p3")).IsProblem(HttpStatusCode.Conflict, "insufficient-balance");

        // A repeated payout answers the first answer even though the balance is spent now.
        Assert.Equal(paid.ToJsonString(), (await PayoutAsync(Admin, worker.Id, 0.001m, "p2", reference: "SEPA 42")).Is(HttpStatusCode.OK).ToJsonString());
        (await PayoutAsync(Admin, worker.Id, 0.001m, "p2", reference: "SEPA 43")).IsProblem(HttpStatusCode.Conflict, "conflict");

        var ledger = await LedgerAsync(worker.Client, worker.Id);
        var payout = Assert.Single(ledger, e => e.Kind == "payout");
        Assert.Equal((-0.001m, 0m, "SEPA 42", paid["payoutId"]!.GetValue<string>()), (payout.Amount, payout.Balance, payout.Reference!, payout.EntryId));
        await AssertLedgerAddsUpAsync(worker.Id, ledger);
    }

    [Theory]
    [InlineData("""{"amount":0,"reference":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"amount":0.00001,"reference":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"amount":1000000000.0001,"reference":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"amount":1e40,"reference":"r","idempotencyKey":"k"}""", "amount")]
    [InlineData("""{"amount":1,"idempotencyKey":"k"}""", "reference")]
    [InlineData("""{"amount":1,"reference":"r"}""", "idempotencyKey")]
    public async Task Payout_OutOfBounds_Answers400(string body, string field)
    {
        var (_, _, worker) = await WorkerWithRewardsAsync("1", submissions: 1);

        (await Admin.PostApiAsync(PayoutsPath(worker.Id), body)).IsValidationProblem(field);

        Assert.Equal(new Earnings(1m, 0m, 0m, 1m), await EarningsAsync(worker.Id));
    }

    [Fact]
    public async Task ConcurrentPayouts_OverHttp_NeverOverdrawTheBalance()
    {
        var (_, _, worker) = await WorkerWithRewardsAsync("1", submissions: 1);

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => PayoutAsync(Admin, worker.Id, 0.15m, $"k{i}")));

        Assert.Equal(6, answers.Count(a => a.Status == HttpStatusCode.Created));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a => a.IsProblem(HttpStatusCode.Conflict, "insufficient-balance"));
        Assert.Equal(new Earnings(1m, 0m, 0.9m, 0.1m), await EarningsAsync(worker.Id));
        await AssertLedgerAddsUpAsync(worker.Id, await LedgerAsync(Admin, worker.Id));
    }

    [Fact]
    public async Task Payouts_AreTheAdminsAlone()
    {
        var (owner, _, worker) = await WorkerWithRewardsAsync("1", submissions: 1);

        (await PayoutAsync(owner.Client, worker.Id, 1m, "k")).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await PayoutAsync(worker.Client, worker.Id, 1m, "k")).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await PayoutAsync(Admin, NewId("nobody"), 1m, "k")).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await PayoutAsync(Admin, worker.Id, 1m, "k")).Is(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Ledger_PagesStably_WithRunningBalances_AndAddsUpToRewardsPlusBonusesMinusPayouts()
    {
        var (owner, projectId, worker) = await WorkerWithRewardsAsync("0.0701", submissions: 4);
        var free = await CreateProjectWithTasksAsync("""{"reward":0}""", SmallTasks(1, "f"));
        await SubmitOkAsync(worker, await ClaimLeaseAsync(worker, free.ProjectId));
        var paidOut = 0m;
        for (var i = 0; i < 3; i++)
        {
            (await BonusAsync(owner.Client, worker.Id, projectId, 0.1m * (i + 1), $"b{i}")).Is(HttpStatusCode.Created);
            (await PayoutAsync(Admin, worker.Id, 0.05m, $"p{i}")).Is(HttpStatusCode.Created);
            paidOut += 0.05m;
            await SubmitOkAsync(worker, await ImportAndClaimAsync(owner, projectId, worker, i));
        }

        var whole = await LedgerAsync(worker.Client, worker.Id, limit: 1000);
        foreach (var limit in new[] { 1, 2, 5 })
        {
            Assert.Equal(whole, await LedgerAsync(worker.Client, worker.Id, limit));
        }

        // 7 rewards of 0.0701 (the free project's submission makes no entry), 3 bonuses, 3 payouts.
        Assert.Equal(13, whole.Count);
        Assert.Equal(7, whole.Count(e => e.Kind == "reward"));
        Assert.All(whole.Where(e => e.Kind == "reward"), e => Assert.Equal((0.0701m, projectId), (e.Amount, e.ProjectId)));
        Assert.All(whole.Where(e => e.Kind == "reward"), e => Assert.NotNull(e.TaskId));
        Assert.Equal(7 * 0.0701m + 0.6m - paidOut, whole[^1].Balance);
        Assert.Equal(new Earnings(7 * 0.0701m + 0.6m, 0m, paidOut, 7 * 0.0701m + 0.6m - paidOut), await EarningsAsync(worker.Id));
        await AssertLedgerAddsUpAsync(worker.Id, whole);
    }

    [Fact]
    public async Task Ledger_IsTheWorkersOwnOrTheAdmins_AndRefusesBadCursorsAndLimits()
    {
        var (_, _, worker) = await WorkerWithRewardsAsync("1", submissions: 1);
        var other = await CreateWorkerAsync();

        (await other.Client.GetApiAsync(LedgerPath(worker.Id))).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await (await CreateRequesterAsync()).Client.GetApiAsync(LedgerPath(worker.Id))).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await Admin.GetApiAsync(LedgerPath(NewId("nobody")))).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await Admin.GetApiAsync($"{LedgerPath(worker.Id)}?after=nonsense")).IsValidationProblem("after");
        (await Admin.GetApiAsync($"{LedgerPath(worker.Id)}?after=12-abc")).IsValidationProblem("after");
        (await Admin.GetApiAsync($"{LedgerPath(worker.Id)}?limit=0")).IsValidationProblem("limit");
        (await Admin.GetApiAsync($"{LedgerPath(worker.Id)}?limit=1001")).IsValidationProblem("limit");

        var page = (await Admin.GetApiAsync($"{LedgerPath(worker.Id)}?limit=1")).Is(HttpStatusCode.OK);
        var next = page["next"]!.GetValue<string>();
        var rest = (await Admin.GetApiAsync($"{LedgerPath(worker.Id)}?limit=1&after={Uri.EscapeDataString(next)}")).Is(HttpStatusCode.OK);
        Assert.Empty(rest["items"]!.AsArray());
        Assert.Null(rest["next"]);
    }

    /// <summary>Imports one more task so that the worker has something new to claim, and claims it.</summary>
    private async Task<Lease> ImportAndClaimAsync(Requester owner, string projectId, Worker worker, int i)
    {
        await ImportAsync(owner.Client, projectId, $$"""[{"id":"more-{{i}}","payload":{{i}}}]""");
        return await ClaimLeaseAsync(worker, projectId);
    }
}

/// <summary>The money calls on in-memory storage.</summary>
public sealed class MoneyTests_Memory(MemoryApiHost host) : MoneyTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>The money calls on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MoneyTests_Postgres(PostgresServer postgres, PostgresApiHost host) : MoneyTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
