using System.Collections.Concurrent;
using Dispatch.Grains.Storage;
using Dispatch.Money;

namespace Dispatch.Grains.Money;

/// <summary>
/// The embedded ledger: each worker's bonuses and payouts in process memory under one lock per worker, the rewards
/// read from the submissions of <see cref="MemoryTaskStore"/>. Like that store it lasts as long as the process.
/// </summary>
public sealed class MemoryLedgerStore(MemoryTaskStore tasks) : ILedgerStore
{
    private readonly ConcurrentDictionary<string, Account> _accounts = new(StringComparer.Ordinal);

    public Task<LedgerSums> GetSumsAsync(string workerId, CancellationToken cancellationToken = default)
    {
        var account = AccountOf(workerId);
        lock (account)
        {
            return Task.FromResult(account.Sums);
        }
    }

    public Task<LedgerWrite> AddBonusAsync(string workerId, LedgerRecord bonus, string idempotencyKey, CancellationToken cancellationToken = default)
    {
        var account = AccountOf(workerId);
        lock (account)
        {
            if (account.Keys.TryGetValue((LedgerEntryKind.Bonus, idempotencyKey), out var prior))
            {
                return Task.FromResult(new LedgerWrite(LedgerWriteOutcome.KeyUsed, prior, account.Sums));
            }

            if (!tasks.HasSubmission(bonus.ProjectId!, workerId))
            {
                return Task.FromResult(new LedgerWrite(LedgerWriteOutcome.NoSubmission, null, account.Sums));
            }

            account.Add(bonus, idempotencyKey);
            return Task.FromResult(new LedgerWrite(LedgerWriteOutcome.Stored, bonus, account.Sums));
        }
    }

    public Task<LedgerWrite> AddPayoutAsync(string workerId, LedgerRecord payout, string idempotencyKey, CancellationToken cancellationToken = default)
    {
        var account = AccountOf(workerId);
        lock (account)
        {
            if (account.Keys.TryGetValue((LedgerEntryKind.Payout, idempotencyKey), out var prior))
            {
                return Task.FromResult(new LedgerWrite(LedgerWriteOutcome.KeyUsed, prior, account.Sums));
            }

            // Rewards only ever grow, so one stored while this runs can only make the check stricter than it need be.
            var balance = checked(Sum(tasks.AcceptedRewards(workerId)) + account.Sums.Credits - account.Sums.Paid);
            if (checked(balance + payout.Amount) < 0)
            {
                return Task.FromResult(new LedgerWrite(LedgerWriteOutcome.InsufficientBalance, null, account.Sums, balance));
            }

            account.Add(payout, idempotencyKey);
            return Task.FromResult(new LedgerWrite(LedgerWriteOutcome.Stored, payout, account.Sums, balance));
        }
    }

    /// <summary>
    /// Merges and sorts the worker's whole ledger for each page: O(n log n) in the worker's entries, which memory mode
    /// (one process, a development or test crowd) affords; PostgreSQL reads a page through its indexes.
    /// </summary>
    public Task<LedgerSlice> ReadAsync(string workerId, LedgerCursor? after, int limit, CancellationToken cancellationToken = default)
    {
        var account = AccountOf(workerId);
        List<LedgerRecord> all;
        lock (account)
        {
            all = [.. account.Entries];
        }

        all.AddRange(tasks.AcceptedRewards(workerId));
        all.Sort(LedgerBook.Compare);
        var opening = Sum(all.TakeWhile(e => !LedgerBook.IsAfter(e, after)));
        IReadOnlyList<LedgerRecord> page = [.. all.SkipWhile(e => !LedgerBook.IsAfter(e, after)).Take(limit)];
        return Task.FromResult(new LedgerSlice(opening, page));
    }

    private static decimal Sum(IEnumerable<LedgerRecord> entries)
    {
        var sum = 0m;
        foreach (var entry in entries)
        {
            sum = checked(sum + entry.Amount);
        }

        return sum;
    }

    private Account AccountOf(string workerId) => _accounts.GetOrAdd(workerId, _ => new Account());

    private sealed class Account
    {
        public List<LedgerRecord> Entries { get; } = [];

        public Dictionary<(LedgerEntryKind Kind, string Key), LedgerRecord> Keys { get; } = [];

        public LedgerSums Sums { get; private set; } = LedgerSums.Zero;

        public void Add(LedgerRecord entry, string idempotencyKey)
        {
            Entries.Add(entry);
            Keys[(entry.Kind, idempotencyKey)] = entry;
            Sums = LedgerBook.Add(Sums, entry);
        }
    }
}
