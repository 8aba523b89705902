using Dispatch.Money;

namespace Dispatch.Grains.Money;

/// <summary>One entry as stored, without its running balance (that depends on every entry before it).</summary>
/// <param name="Amount">Signed: a payout is negative.</param>
/// <param name="Reference">A bonus's reason or a payout's reference.</param>
public sealed record LedgerRecord(
    string EntryId, LedgerEntryKind Kind, decimal Amount, string? ProjectId, string? TaskId, string? Reference, DateTimeOffset At);

/// <summary>The sums of a worker's own ledger rows: everything but the rewards of its submissions.</summary>
/// <param name="Credits">Review rewards and bonuses.</param>
/// <param name="Paid">Payouts, as a positive sum.</param>
public sealed record LedgerSums(decimal Credits, decimal Paid)
{
    public static readonly LedgerSums Zero = new(0m, 0m);
}

/// <summary>How a bonus or payout write ended.</summary>
public enum LedgerWriteOutcome
{
    Stored,

    /// <summary>The worker's key of that kind was used before; the entry is the one stored then, nothing was written now.</summary>
    KeyUsed,

    /// <summary>A bonus for a project the worker never submitted to; nothing was written.</summary>
    NoSubmission,

    /// <summary>A payout above the balance; nothing was written.</summary>
    InsufficientBalance,
}

/// <param name="Entry">The entry stored now (<see cref="LedgerWriteOutcome.Stored"/>) or before (<see cref="LedgerWriteOutcome.KeyUsed"/>).</param>
/// <param name="Sums">The worker's ledger sums as the write left them.</param>
/// <param name="Balance">The balance the payout was checked against (payouts only).</param>
public sealed record LedgerWrite(LedgerWriteOutcome Outcome, LedgerRecord? Entry, LedgerSums Sums, decimal Balance = 0m);

/// <summary>A page of entries and the balance before its first entry.</summary>
public sealed record LedgerSlice(decimal Opening, IReadOnlyList<LedgerRecord> Entries);
