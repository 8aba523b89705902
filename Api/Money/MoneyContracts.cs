using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Dispatch.Money;

namespace Dispatch.Api.Money;

public sealed record BonusRequestBody(
    [property: Description("A project of the caller in which the worker has a submission.")] string? ProjectId,
    [property: Range(0, 10_000), Description("More than 0, at most 10,000, at most 4 decimal places.")] decimal? Amount,
    [property: Description("Why the bonus is paid; at most 1,024 bytes.")] string? Reason,
    [property: Description("1 to 64 characters. The same key with the same body pays once and answers the first answer.")] string? IdempotencyKey);

public sealed record PayoutRequestBody(
    [property: Range(0, 1_000_000_000), Description("More than 0, at most the worker's balance, at most 4 decimal places.")] decimal? Amount,
    [property: Description("The payment's reference in the platform's books; at most 1,024 bytes.")] string? Reference,
    [property: Description("1 to 64 characters. The same key with the same body pays once and answers the first answer.")] string? IdempotencyKey);

public sealed record BonusResponse(string BonusId, string WorkerId, string ProjectId, decimal Amount, string Reason, DateTime At)
{
    public static BonusResponse From(BonusReceipt r) => new(r.BonusId, r.WorkerId, r.ProjectId, r.Amount, r.Reason, r.At.UtcDateTime);
}

public sealed record PayoutResponse(string PayoutId, string WorkerId, decimal Amount, string Reference, DateTime At)
{
    public static PayoutResponse From(PayoutReceipt r) => new(r.PayoutId, r.WorkerId, r.Amount, r.Reference, r.At.UtcDateTime);
}

/// <param name="Amount">Signed: a payout is negative.</param>
/// <param name="Balance">The running balance after this entry.</param>
public sealed record LedgerEntryResponse(
    string EntryId,
    [property: Description("reward, reviewReward, bonus or payout.")] string Kind,
    decimal Amount,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ProjectId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TaskId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reference,
    DateTime At,
    decimal Balance)
{
    public static LedgerEntryResponse From(LedgerEntry e) => new(e.EntryId, KindName(e.Kind), e.Amount, e.ProjectId, e.TaskId, e.Reference, e.At.UtcDateTime, e.Balance);

    private static string KindName(LedgerEntryKind kind) => kind switch
    {
        LedgerEntryKind.Reward => "reward",
        LedgerEntryKind.ReviewReward => "reviewReward",
        LedgerEntryKind.Bonus => "bonus",
        LedgerEntryKind.Payout => "payout",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a ledger entry kind."),
    };
}

public sealed record LedgerResponse(IReadOnlyList<LedgerEntryResponse> Items, string? Next);
