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

    public Task<Result<BonusReceipt>> AddBonusAsync(BonusRequest request) =>
        WriteAsync(
            MoneyRules.Check(request),
            () => LedgerBook.NewBonus(request, time.GetUtcNow()),
            request.IdempotencyKey,
            ledger.AddBonusAsync,
            (entry, replayed) => new BonusReceipt(entry.EntryId, WorkerId, entry.ProjectId!, entry.Amount, entry.Reference!, entry.At, replayed));

    public Task<Result<PayoutReceipt>> PayOutAsync(PayoutRequest request) =>
        WriteAsync(
            MoneyRules.Check(request),
            () => LedgerBook.NewPayout(request, time.GetUtcNow()),
            request.IdempotencyKey,
            ledger.AddPayoutAsync,
            (entry, replayed) => new PayoutReceipt(entry.EntryId, WorkerId, -entry.Amount, entry.Reference!, entry.At, replayed));

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

    /// <summary>
    /// Checks the request and that the worker exists, stores the entry, and answers its receipt (the first receipt of
    /// its key when the same request came before) or the refusal.
    /// </summary>
    private async Task<Result<T>> WriteAsync<T>(
        IReadOnlyList<(string Field, string Message)> errors,
        Func<LedgerRecord> entry,
        string key,
        Func<string, LedgerRecord, string, CancellationToken, Task<LedgerWrite>> store,
        Func<LedgerRecord, bool, T> receipt)
    {
        if (errors.Count > 0)
        {
            return Result<T>.Fail(ErrorKind.Validation, $"{errors[0].Field}: {errors[0].Message}");
        }

        if (!state.State.Exists)
        {
            return Result<T>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
        }

        var asked = entry();
        var write = await store(WorkerId, asked, key, CancellationToken.None);
        _ledgerSums = write.Sums;
        var what = asked.Kind.ToString().ToLowerInvariant();
        switch (write.Outcome)
        {
            case LedgerWriteOutcome.Stored:
                LogLedgerEntry(logger, WorkerId, asked.Kind, asked.Amount, asked.EntryId);
                return Result<T>.Ok(receipt(asked, false));
            case LedgerWriteOutcome.KeyUsed when LedgerBook.SameRequest(write.Entry!, asked):
                return Result<T>.Ok(receipt(write.Entry!, true));
            case LedgerWriteOutcome.KeyUsed:
                return Result<T>.Fail(ErrorKind.Conflict, $"The {what} key '{key}' of worker '{WorkerId}' was used for another {what}.");
            case LedgerWriteOutcome.NoSubmission:
                return Result<T>.Fail(ErrorKind.Conflict, $"Worker '{WorkerId}' has no submission in that project.");
            default:
                return Result<T>.Fail(ErrorKind.InsufficientBalance, string.Create(CultureInfo.InvariantCulture, $"The balance of worker '{WorkerId}' is {MoneyRules.Normalize(write.Balance)}."));
        }
    }
}
