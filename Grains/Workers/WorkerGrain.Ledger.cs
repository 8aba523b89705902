using System.Globalization;
using Dispatch.Common;
using Dispatch.Grains.Money;
using Dispatch.Money;

namespace Dispatch.Grains.Workers;

// The worker's ledger: bonuses, payouts and the page of entries. Storage checks keys and balances (ILedgerStore);
// the grain keeps the sums for the worker view, read on activation and taken from every write it makes.
public sealed partial class WorkerGrain
{
    private LedgerSums _ledgerSums = LedgerSums.Zero;

    public async Task<Result<BonusReceipt>> AddBonusAsync(BonusRequest request)
    {
        if (Refusal<BonusReceipt>(MoneyRules.Check(request)) is { } refused)
        {
            return refused;
        }

        var bonus = LedgerBook.NewBonus(request, time.GetUtcNow());
        var write = await ledger.AddBonusAsync(WorkerId, bonus, request.IdempotencyKey);
        return Answer(bonus, write, request.IdempotencyKey, "bonus", entry => new BonusReceipt(
            entry.EntryId, WorkerId, entry.ProjectId!, entry.Amount, entry.Reference!, entry.At, write.Outcome == LedgerWriteOutcome.KeyUsed));
    }

    public async Task<Result<PayoutReceipt>> PayOutAsync(PayoutRequest request)
    {
        if (Refusal<PayoutReceipt>(MoneyRules.Check(request)) is { } refused)
        {
            return refused;
        }

        var payout = LedgerBook.NewPayout(request, time.GetUtcNow());
        var write = await ledger.AddPayoutAsync(WorkerId, payout, request.IdempotencyKey);
        return Answer(payout, write, request.IdempotencyKey, "payout", entry => new PayoutReceipt(
            entry.EntryId, WorkerId, -entry.Amount, entry.Reference!, entry.At, write.Outcome == LedgerWriteOutcome.KeyUsed));
    }

    public async Task<Result<LedgerPage>> GetLedgerAsync(LedgerCursor? after, int limit)
    {
        if (!state.State.Exists)
        {
            return Result<LedgerPage>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
        }

        if (limit is < 1 or > MoneyRules.MaxLedgerPage)
        {
            return Result<LedgerPage>.Fail(ErrorKind.Validation, $"limit: Must be between 1 and {MoneyRules.MaxLedgerPage}.");
        }

        var slice = await ledger.ReadAsync(WorkerId, after, limit);
        var items = LedgerBook.WithBalances(slice.Opening, slice.Entries);
        return Result<LedgerPage>.Ok(new LedgerPage(items, items.Length == limit ? items[^1].Cursor : null));
    }

    /// <summary>Checks the request and that the worker exists; null when the write may go on.</summary>
    private Result<T>? Refusal<T>(IReadOnlyList<(string Field, string Message)> errors)
    {
        if (errors.Count > 0)
        {
            return Result<T>.Fail(ErrorKind.Validation, $"{errors[0].Field}: {errors[0].Message}");
        }

        return state.State.Exists ? null : Result<T>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
    }

    /// <summary>The answer to a write of <paramref name="asked"/>: its receipt, the first receipt of its key, or the refusal.</summary>
    private Result<T> Answer<T>(LedgerRecord asked, LedgerWrite write, string key, string what, Func<LedgerRecord, T> receipt)
    {
        _ledgerSums = write.Sums;
        switch (write.Outcome)
        {
            case LedgerWriteOutcome.Stored:
                LogLedgerEntry(logger, WorkerId, write.Entry!.Kind, write.Entry.Amount, write.Entry.EntryId);
                return Result<T>.Ok(receipt(write.Entry));
            case LedgerWriteOutcome.KeyUsed when LedgerBook.SameRequest(write.Entry!, asked):
                return Result<T>.Ok(receipt(write.Entry!));
            case LedgerWriteOutcome.KeyUsed:
                return Result<T>.Fail(ErrorKind.Conflict, $"The {what} key '{key}' of worker '{WorkerId}' was used for another {what}.");
            case LedgerWriteOutcome.NoSubmission:
                return Result<T>.Fail(ErrorKind.Conflict, $"Worker '{WorkerId}' has no submission in that project.");
            default:
                return Result<T>.Fail(ErrorKind.InsufficientBalance, string.Create(CultureInfo.InvariantCulture, $"The balance of worker '{WorkerId}' is {MoneyRules.Normalize(write.Balance)}."));
        }
    }
}
