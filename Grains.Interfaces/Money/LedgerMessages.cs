using System.Collections.Immutable;

namespace Dispatch.Money;

/// <summary>What a ledger entry is. Stored; values never change.</summary>
public enum LedgerEntryKind
{
    /// <summary>The reward of an accepted submission; its submission is its only record.</summary>
    Reward = 0,
    ReviewReward = 1,
    Bonus = 2,

    /// <summary>Money paid out to the worker: a negative amount.</summary>
    Payout = 3,
}

/// <summary>What a worker has earned and been paid; <see cref="Balance"/> is <c>Total - Paid</c>.</summary>
/// <param name="Total">Accepted rewards, review rewards and bonuses.</param>
/// <param name="Pending">Rewards of submissions still waiting for a verdict.</param>
/// <param name="Paid">Payouts, as a positive sum.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.WorkerEarnings")]
public sealed record WorkerEarnings(
    [property: Id(0)] decimal Total,
    [property: Id(1)] decimal Pending,
    [property: Id(2)] decimal Paid)
{
    public decimal Balance => MoneyRules.Normalize(checked(Total - Paid));
}

/// <summary>A bonus for a worker, paid once per <see cref="IdempotencyKey"/>.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.BonusRequest")]
public sealed record BonusRequest(
    [property: Id(0)] string ProjectId,
    [property: Id(1)] decimal Amount,
    [property: Id(2)] string Reason,
    [property: Id(3)] string IdempotencyKey);

/// <summary>A payout to a worker, paid once per <see cref="IdempotencyKey"/>.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.PayoutRequest")]
public sealed record PayoutRequest(
    [property: Id(0)] decimal Amount,
    [property: Id(1)] string Reference,
    [property: Id(2)] string IdempotencyKey);

/// <param name="Replayed">True when the key had been paid before with the same request: this is that first answer.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.BonusReceipt")]
public sealed record BonusReceipt(
    [property: Id(0)] string BonusId,
    [property: Id(1)] string WorkerId,
    [property: Id(2)] string ProjectId,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] string Reason,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] bool Replayed);

/// <param name="Amount">What was paid, positive.</param>
/// <param name="Replayed">True when the key had been paid before with the same request: this is that first answer.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.PayoutReceipt")]
public sealed record PayoutReceipt(
    [property: Id(0)] string PayoutId,
    [property: Id(1)] string WorkerId,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] string Reference,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] bool Replayed);

/// <summary>
/// One entry of a worker's ledger. Entries are ordered by <see cref="At"/>, then <see cref="EntryId"/>.
/// </summary>
/// <param name="Amount">Signed: a payout is negative.</param>
/// <param name="Reference">A bonus's reason or a payout's reference.</param>
/// <param name="Balance">The running balance after this entry.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] string EntryId,
    [property: Id(1)] LedgerEntryKind Kind,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] string? ProjectId,
    [property: Id(4)] string? TaskId,
    [property: Id(5)] string? Reference,
    [property: Id(6)] DateTimeOffset At,
    [property: Id(7)] decimal Balance)
{
    public LedgerCursor Cursor => new(At, EntryId);
}

/// <summary>A place in a worker's ledger: the page goes on after the entry at (<see cref="At"/>, <see cref="EntryId"/>).</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.LedgerCursor")]
public sealed record LedgerCursor(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string EntryId);

/// <summary>A page of a worker's ledger, oldest first; <see cref="Next"/> is null at the end.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.LedgerPage")]
public sealed record LedgerPage(
    [property: Id(0)] ImmutableArray<LedgerEntry> Items,
    [property: Id(1)] LedgerCursor? Next);
