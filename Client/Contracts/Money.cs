using System.Text.Json.Serialization;

namespace Dispatch.Client;

/// <summary>A bonus for a worker's work in a project.</summary>
/// <param name="Amount">More than 0, at most 10,000, at most 4 decimal places.</param>
/// <param name="IdempotencyKey">1 to 64 characters, the worker's own: the same key and body pay once.</param>
public sealed record NewBonus(string ProjectId, decimal Amount, string Reason, string IdempotencyKey);

public sealed record Bonus(string BonusId, string WorkerId, string ProjectId, decimal Amount, string Reason, DateTimeOffset At);

/// <summary>A payout out of a worker's balance.</summary>
/// <param name="Amount">More than 0, at most the balance, at most 4 decimal places.</param>
/// <param name="IdempotencyKey">1 to 64 characters, the worker's own: the same key and body pay once.</param>
public sealed record NewPayout(decimal Amount, string Reference, string IdempotencyKey);

public sealed record Payout(string PayoutId, string WorkerId, decimal Amount, string Reference, DateTimeOffset At);

public enum LedgerEntryKind
{
    [JsonStringEnumMemberName("reward")] Reward,
    [JsonStringEnumMemberName("reviewReward")] ReviewReward,
    [JsonStringEnumMemberName("bonus")] Bonus,
    [JsonStringEnumMemberName("payout")] Payout,
}

/// <param name="Amount">Signed: a payout is negative.</param>
/// <param name="Balance">The running balance after this entry.</param>
public sealed record LedgerEntry(
    string EntryId, LedgerEntryKind Kind, decimal Amount, string? ProjectId, string? TaskId, string? Reference, DateTimeOffset At, decimal Balance);
