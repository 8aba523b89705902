using System.Collections.Immutable;
using Dispatch.Money;

namespace Dispatch.Grains.Money;

/// <summary>
/// The rules of a worker's ledger that do not depend on where it is stored: what a new entry looks like, when a
/// repeated key is the same request, and how running balances and earnings add up. Every sum is exact in
/// <see cref="decimal"/> and checked: amounts are bounded (<see cref="MoneyRules"/>), so an overflow would be a bug,
/// and it throws rather than pay a wrong amount.
/// </summary>
public static class LedgerBook
{
    public static LedgerRecord NewBonus(BonusRequest request, DateTimeOffset now) =>
        new(NewEntryId(), LedgerEntryKind.Bonus, MoneyRules.Normalize(request.Amount), request.ProjectId, null, request.Reason, Stored(now));

    public static LedgerRecord NewPayout(PayoutRequest request, DateTimeOffset now) =>
        new(NewEntryId(), LedgerEntryKind.Payout, -MoneyRules.Normalize(request.Amount), null, null, request.Reference, Stored(now));

    /// <summary>
    /// Whether <paramref name="candidate"/> asks for what <paramref name="stored"/> (same worker, kind and key) was:
    /// the same project, amount and text. Ids and times are the server's, not the caller's.
    /// </summary>
    public static bool SameRequest(LedgerRecord stored, LedgerRecord candidate) =>
        stored.Kind == candidate.Kind
        && stored.Amount == candidate.Amount
        && string.Equals(stored.ProjectId, candidate.ProjectId, StringComparison.Ordinal)
        && string.Equals(stored.Reference, candidate.Reference, StringComparison.Ordinal);

    /// <summary>The entries with the running balance after each, starting from <paramref name="opening"/>.</summary>
    public static ImmutableArray<LedgerEntry> WithBalances(decimal opening, IReadOnlyList<LedgerRecord> entries)
    {
        var balance = opening;
        var page = ImmutableArray.CreateBuilder<LedgerEntry>(entries.Count);
        foreach (var e in entries)
        {
            balance = checked(balance + e.Amount);
            page.Add(new LedgerEntry(e.EntryId, e.Kind, MoneyRules.Normalize(e.Amount), e.ProjectId, e.TaskId, e.Reference, e.At, MoneyRules.Normalize(balance)));
        }

        return page.MoveToImmutable();
    }

    /// <param name="rewards">Rewards of the worker's accepted submissions.</param>
    /// <param name="pending">Rewards of its submissions waiting for a verdict.</param>
    public static WorkerEarnings Earnings(decimal rewards, decimal pending, LedgerSums sums) =>
        new(MoneyRules.Normalize(checked(rewards + sums.Credits)), MoneyRules.Normalize(pending), MoneyRules.Normalize(sums.Paid));

    /// <summary>The sums after <paramref name="entry"/> is added to <paramref name="sums"/>.</summary>
    public static LedgerSums Add(LedgerSums sums, LedgerRecord entry) =>
        entry.Kind == LedgerEntryKind.Payout
            ? sums with { Paid = checked(sums.Paid - entry.Amount) }
            : sums with { Credits = checked(sums.Credits + entry.Amount) };

    /// <summary>Total order of a ledger: time, then entry id (ordinal), the order PostgreSQL pages in too.</summary>
    public static int Compare(LedgerRecord a, LedgerRecord b)
    {
        var byTime = a.At.UtcTicks.CompareTo(b.At.UtcTicks);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.EntryId, b.EntryId);
    }

    public static bool IsAfter(LedgerRecord entry, LedgerCursor? cursor) =>
        cursor is null
        || entry.At.UtcTicks > cursor.At.UtcTicks
        || (entry.At.UtcTicks == cursor.At.UtcTicks && string.CompareOrdinal(entry.EntryId, cursor.EntryId) > 0);

    /// <summary>PostgreSQL keeps microseconds: a time is cut to them before it is answered, so a replay reads the same.</summary>
    private static DateTimeOffset Stored(DateTimeOffset now) => new(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>Server-made ids are 1..64 uppercase letters and digits, as lease ids (which name reward entries) are.</summary>
    private static string NewEntryId() => Guid.NewGuid().ToString("N").ToUpperInvariant();
}
