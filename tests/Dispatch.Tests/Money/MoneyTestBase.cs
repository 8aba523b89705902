using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Work;
using Xunit.Sdk;

namespace Dispatch.Tests.Money;

/// <summary>Helpers for the money part of docs/api.md: workers with rewards, bonuses, payouts and whole ledgers.</summary>
public abstract class MoneyTestBase : WorkTestBase
{
    /// <summary>One ledger entry as the API answered it.</summary>
    protected sealed record Entry(string EntryId, string Kind, decimal Amount, string? ProjectId, string? TaskId, string? Reference, DateTimeOffset At, decimal Balance);

    protected sealed record Earnings(decimal Total, decimal Pending, decimal Paid, decimal Balance);

    /// <summary>A fresh requester's project paying <paramref name="reward"/>, and a worker that submitted <paramref name="submissions"/> of its tasks.</summary>
    protected async Task<(Requester Owner, string ProjectId, Worker Worker)> WorkerWithRewardsAsync(string reward, int submissions)
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync($$"""{"reward":{{reward}}}""", SmallTasks(Math.Max(submissions, 1), "t"));
        var worker = await CreateWorkerAsync();
        for (var i = 0; i < submissions; i++)
        {
            await SubmitOkAsync(worker, await ClaimLeaseAsync(worker, projectId));
        }

        return (owner, projectId, worker);
    }

    protected static string BonusesPath(string workerId) => $"{WorkerPath(workerId)}/bonuses";

    protected static string PayoutsPath(string workerId) => $"{WorkerPath(workerId)}/payouts";

    protected static string LedgerPath(string workerId) => $"{WorkerPath(workerId)}/ledger";

    protected static Task<ApiResponse> BonusAsync(HttpClient client, string workerId, string projectId, decimal amount, string key, string reason = "good work") =>
        client.PostApiAsync(BonusesPath(workerId), new { projectId, amount, reason, idempotencyKey = key });

    protected static Task<ApiResponse> PayoutAsync(HttpClient client, string workerId, decimal amount, string key, string reference = "bank transfer") =>
        client.PostApiAsync(PayoutsPath(workerId), new { amount, reference, idempotencyKey = key });

    protected async Task<Earnings> EarningsAsync(string workerId)
    {
        var earnings = (await GetWorkerAsync(Admin, workerId))["earnings"]!;
        return new Earnings(
            Decimal(earnings["total"], "earnings.total"),
            Decimal(earnings["pending"], "earnings.pending"),
            Decimal(earnings["paid"], "earnings.paid"),
            Decimal(earnings["balance"], "earnings.balance"));
    }

    /// <summary>Reads the whole ledger a page of <paramref name="limit"/> at a time, following <c>next</c> to its end.</summary>
    protected async Task<List<Entry>> LedgerAsync(HttpClient client, string workerId, int limit = 100)
    {
        var entries = new List<Entry>();
        string? after = null;
        for (var pages = 0; pages < 10_000; pages++)
        {
            var page = (await client.GetApiAsync($"{LedgerPath(workerId)}?limit={limit}{(after is null ? "" : "&after=" + Uri.EscapeDataString(after))}")).Is(HttpStatusCode.OK);
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= limit, $"a page longer than its limit: {page.ToJsonString()}");
            entries.AddRange(items.Select(i => ToEntry(i!)));
            after = page["next"]?.GetValue<string>();
            if (after is null)
            {
                return entries;
            }

            Assert.Equal(limit, items.Count);
        }

        throw new XunitException("The ledger never ended.");
    }

    /// <summary>
    /// Asserts what holds of every ledger: ids unique, oldest first, a payout negative and every other entry positive,
    /// each balance the one before plus the amount, and the last one the worker view's balance.
    /// </summary>
    protected async Task AssertLedgerAddsUpAsync(string workerId, IReadOnlyList<Entry> ledger)
    {
        Assert.Equal(ledger.Count, ledger.Select(e => e.EntryId).Distinct().Count());
        var balance = 0m;
        DateTimeOffset? previous = null;
        foreach (var entry in ledger)
        {
            Assert.True(previous is null || entry.At >= previous, $"entries out of order at {entry}");
            Assert.True(entry.Kind == "payout" ? entry.Amount < 0 : entry.Amount > 0, $"wrong sign: {entry}");
            balance += entry.Amount;
            Assert.Equal(balance, entry.Balance);
            previous = entry.At;
        }

        var earnings = await EarningsAsync(workerId);
        Assert.Equal(earnings.Balance, balance);
        Assert.Equal(earnings.Total - earnings.Paid, earnings.Balance);
        Assert.Equal(earnings.Paid, -ledger.Where(e => e.Kind == "payout").Sum(e => e.Amount));
        Assert.Equal(earnings.Total, ledger.Where(e => e.Kind != "payout").Sum(e => e.Amount));
    }

    protected static Entry ToEntry(JsonNode item) => new(
        item["entryId"]!.GetValue<string>(),
        item["kind"]!.GetValue<string>(),
        Decimal(item["amount"], "amount"),
        item["projectId"]?.GetValue<string>(),
        item["taskId"]?.GetValue<string>(),
        item["reference"]?.GetValue<string>(),
        ApiAssert.IsUtcTimestamp(item["at"], "at"),
        Decimal(item["balance"], "balance"));
}
