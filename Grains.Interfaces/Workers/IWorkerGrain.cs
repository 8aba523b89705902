using Orleans.Concurrency;
using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Money;
using Dispatch.Work;

namespace Dispatch.Workers;

/// <summary>A worker of the crowd: its certifications, block status, active leases, stats and token hash.</summary>
[Alias("Dispatch.IWorkerGrain")]
public interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Creates the worker; <see cref="ErrorKind.Conflict"/> when it exists.</summary>
    [Alias("Create")]
    Task<Result<WorkerView>> CreateAsync(string? displayName, int maxActiveLeases, byte[] tokenHash);

    [Alias("Get")]
    Task<WorkerView?> GetAsync();

    /// <summary>True when <paramref name="tokenHash"/> is this worker's token hash (constant-time comparison).</summary>
    [Alias("HasToken")]
    Task<bool> HasTokenAsync(byte[] tokenHash);

    /// <summary>Grants or changes a certification. A grant lifts a suspension of that skill.</summary>
    [Alias("Certify")]
    Task<Result<WorkerView>> CertifyAsync(string skill, int level, CertificationSource source);

    /// <summary>Revokes a certification; succeeds when the worker exists, whether or not it held the skill.</summary>
    [Alias("Revoke")]
    Task<Result<WorkerView>> RevokeAsync(string skill);

    /// <summary>Blocks the worker and ends its active leases at once.</summary>
    [Alias("Block")]
    Task<Result<WorkerView>> BlockAsync(string? reason);

    [Alias("Unblock")]
    Task<Result<WorkerView>> UnblockAsync();

    /// <summary>
    /// Leases a task: from <paramref name="projectId"/>, or routed by skill tier when null. A null value is
    /// "no work fits now".
    /// </summary>
    [Alias("Claim")]
    Task<Result<LeaseGrant?>> ClaimAsync(string? projectId);

    [Alias("GetActiveLeases")]
    Task<ImmutableArray<LeaseGrant>> GetActiveLeasesAsync();

    [Alias("Heartbeat")]
    Task<Result<HeartbeatReceipt>> HeartbeatAsync(string leaseId, int? extendSeconds);

    [Alias("Submit")]
    Task<Result<SubmitReceipt>> SubmitAsync(string leaseId, string resultJson);

    [Alias("Release")]
    Task<Result<bool>> ReleaseAsync(string leaseId, string? reason);

    /// <summary>
    /// Told by a task when a verdict was stored on one of this worker's submissions of <paramref name="projectId"/>:
    /// the worker reads its totals again and applies the project's quality rule.
    /// </summary>
    [Alias("SubmissionReviewed"), AlwaysInterleave]
    Task SubmissionReviewedAsync(string projectId);

    /// <summary>
    /// Credits a bonus for work in a project the worker has submitted to (else <see cref="ErrorKind.Conflict"/>). The
    /// same key again answers the first receipt when the request is the same, <see cref="ErrorKind.Conflict"/> when not.
    /// </summary>
    [Alias("AddBonus")]
    Task<Result<BonusReceipt>> AddBonusAsync(BonusRequest request);

    /// <summary>
    /// Pays money out of the balance; more than the balance is <see cref="ErrorKind.InsufficientBalance"/>, and nothing
    /// is stored. Storage enforces the balance, so concurrent payouts or a second activation never overdraw it.
    /// Idempotent per key as <see cref="AddBonusAsync"/>.
    /// </summary>
    [Alias("PayOut")]
    Task<Result<PayoutReceipt>> PayOutAsync(PayoutRequest request);

    /// <summary>The ledger after <paramref name="after"/> (from the start when null), oldest first, with running balances.</summary>
    [Alias("GetLedger"), ReadOnly]
    Task<Result<LedgerPage>> GetLedgerAsync(LedgerCursor? after, int limit);

    /// <summary>
    /// Told by a task whose write of this worker's lease took so long that the claim that asked for it may have given
    /// up (a database that stalled): the worker lists it, so a client that reads its leases after a failed claim
    /// finds it.
    /// </summary>
    [Alias("LeaseGranted"), AlwaysInterleave]
    Task LeaseGrantedAsync(LeaseGrant grant);

    /// <summary>Told by a task when one of this worker's leases ended without the worker (expiry, dead letter).</summary>
    [Alias("LeaseEnded"), AlwaysInterleave]
    Task LeaseEndedAsync(string leaseId);
}
