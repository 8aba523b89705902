using Dispatch.Money;

namespace Dispatch.Grains.Money;

/// <summary>
/// Where a worker's money is kept. Bonuses, payouts (and review rewards) are rows of a ledger of their own; a reward is
/// read from its accepted submission, which is its only record, so no retry or failure can enter it twice. Each write
/// is one transaction that checks its key (and the balance, for a payout) in storage, under a per-worker lock: two
/// activations of one worker, or two silos, can neither pay a key twice nor overdraw the balance.
/// </summary>
public interface ILedgerStore
{
    Task<LedgerSums> GetSumsAsync(string workerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="bonus"/> unless the worker's bonus key <paramref name="idempotencyKey"/> was used (then
    /// the entry stored with it comes back) or the worker has no submission in the bonus's project.
    /// </summary>
    Task<LedgerWrite> AddBonusAsync(string workerId, LedgerRecord bonus, string idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="payout"/> (a negative amount) unless the worker's payout key was used (then the entry
    /// stored with it comes back) or the balance, accepted rewards included, is smaller than the payout.
    /// </summary>
    Task<LedgerWrite> AddPayoutAsync(string workerId, LedgerRecord payout, string idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> entries after <paramref name="after"/> in (at, entry id) order, rewards of accepted
    /// submissions merged in, with the balance of every entry up to <paramref name="after"/>.
    /// </summary>
    Task<LedgerSlice> ReadAsync(string workerId, LedgerCursor? after, int limit, CancellationToken cancellationToken = default);
}
