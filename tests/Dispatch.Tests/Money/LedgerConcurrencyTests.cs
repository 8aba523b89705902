using Dispatch.Grains.Money;
using Dispatch.Grains.Postgres;
using Dispatch.Money;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Postgres;
using Npgsql;

namespace Dispatch.Tests.Money;

/// <summary>
/// The PostgreSQL ledger under writers that no grain serializes: several stores, as several silos or a second
/// activation of one worker would hold, paying out of one balance at the same moment.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LedgerConcurrencyTests(PostgresServer postgres)
{
    private const string WorkerId = "mina";

    [Fact]
    public async Task ConcurrentPayouts_FromSeveralStores_NeverOverdrawTheBalance()
    {
        var (connectionString, sources) = await LedgerWithRewardAsync(reward: 1m);
        try
        {
            var outcomes = await RaceAsync(sources, 40, i => new PayoutRequest(0.07m, $"transfer {i}", $"key-{i}"));

            // 14 payouts of 0.07 fit into 1.00; whichever 14 they are, a 15th would overdraw.
            Assert.Equal(14, outcomes.Count(o => o.Outcome == LedgerWriteOutcome.Stored));
            Assert.Equal(26, outcomes.Count(o => o.Outcome == LedgerWriteOutcome.InsufficientBalance));
            Assert.All(outcomes.Where(o => o.Outcome == LedgerWriteOutcome.InsufficientBalance), o => Assert.True(o.Balance < 0.07m, $"refused with a balance of {o.Balance}"));
            Assert.Equal(0.98m, await Sql.ScalarAsync<decimal>(connectionString, "SELECT -sum(amount) FROM dispatch_ledger WHERE worker_id = @w AND kind = 3", ("w", WorkerId)));
            var slice = await new PostgresLedgerStore(sources[0]).ReadAsync(WorkerId, null, 100);
            Assert.Equal(15, slice.Entries.Count);
            Assert.Equal(0.02m, LedgerBook.WithBalances(slice.Opening, slice.Entries)[^1].Balance);
        }
        finally
        {
            await DisposeAsync(sources);
        }
    }

    [Fact]
    public async Task ConcurrentPayouts_WithOneKey_PayOnce_AndAllAnswerTheSameEntry()
    {
        var (connectionString, sources) = await LedgerWithRewardAsync(reward: 5m);
        try
        {
            var outcomes = await RaceAsync(sources, 12, _ => new PayoutRequest(1m, "transfer", "once"));

            var stored = Assert.Single(outcomes, o => o.Outcome == LedgerWriteOutcome.Stored);
            Assert.All(outcomes.Where(o => o != stored), o => Assert.Equal((LedgerWriteOutcome.KeyUsed, stored.Entry!.EntryId), (o.Outcome, o.Entry!.EntryId)));
            Assert.Equal(1L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM dispatch_ledger WHERE worker_id = @w", ("w", WorkerId)));
            Assert.Equal(new LedgerSums(0m, 1m), await new PostgresLedgerStore(sources[1]).GetSumsAsync(WorkerId));
        }
        finally
        {
            await DisposeAsync(sources);
        }
    }

    /// <summary>Sends <paramref name="count"/> payouts at once, spread over stores on the given pools.</summary>
    private static async Task<LedgerWrite[]> RaceAsync(NpgsqlDataSource[] sources, int count, Func<int, PayoutRequest> request)
    {
        var stores = sources.Select(s => new PostgresLedgerStore(s)).ToArray();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await start.Task;
            var payout = request(i);
            return await stores[i % stores.Length].AddPayoutAsync(WorkerId, LedgerBook.NewPayout(payout, DateTimeOffset.UtcNow), payout.IdempotencyKey);
        })).ToList();
        start.SetResult();
        return await Task.WhenAll(attempts);
    }

    /// <summary>A migrated database where <see cref="WorkerId"/> has one stored submission paying <paramref name="reward"/>, and four pools on it.</summary>
    private async Task<(string ConnectionString, NpgsqlDataSource[] Sources)> LedgerWithRewardAsync(decimal reward)
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        await Sql.ExecuteAsync(
            connectionString,
            """
            INSERT INTO dispatch_submissions (project_id, task_id, shard, worker_id, lease_id, result, submitted_at, reward)
            VALUES ('cats', 't1', 0, @w, 'LEASE1', '"cat"', now(), @reward)
            """,
            ("w", WorkerId),
            ("reward", reward));
        var pooled = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 10 }.ConnectionString;
        return (connectionString, [.. Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(pooled))]);
    }

    private static async Task DisposeAsync(NpgsqlDataSource[] sources)
    {
        foreach (var source in sources)
        {
            await source.DisposeAsync();
        }
    }
}
