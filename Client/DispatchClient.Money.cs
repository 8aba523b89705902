namespace Dispatch.Client;

// A worker's money. Bonuses and payouts carry an idempotency key, so sending one again pays nothing twice: they are
// retried like reads.
public sealed partial class DispatchClient
{
    /// <summary><c>POST /v1/workers/{workerId}/bonuses</c> (the project's owner, or admin).</summary>
    public async Task<Bonus> PayBonusAsync(string workerId, NewBonus bonus, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/bonuses", bonus, Json.NewBonus, Replay.Safe, Json.Bonus, cancellationToken))!;

    /// <summary><c>POST /v1/workers/{workerId}/payouts</c> (admin); more than the balance throws <c>insufficient-balance</c>.</summary>
    public async Task<Payout> PayOutAsync(string workerId, NewPayout payout, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/payouts", payout, Json.NewPayout, Replay.Safe, Json.Payout, cancellationToken))!;

    /// <summary><c>GET /v1/workers/{workerId}/ledger</c> (admin, or that worker): oldest first, with running balances.</summary>
    public Task<Page<LedgerEntry>> GetLedgerAsync(string workerId, string? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/workers/{Escape(workerId)}/ledger{Query(("after", after), ("limit", Number(limit)))}", Json.PageLedgerEntry, cancellationToken);
}
