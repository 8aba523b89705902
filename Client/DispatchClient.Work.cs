namespace Dispatch.Client;

// The worker's own calls (or the admin's, acting for a worker). See DispatchWorkerLoop for the whole cycle.
public sealed partial class DispatchClient
{
    /// <summary>
    /// <c>POST /v1/workers/{workerId}/leases</c>: claims a task, waiting up to <paramref name="waitSeconds"/> (0..20)
    /// for one to appear; null when none fits. Not retried after a lost answer: the server may have granted a lease,
    /// and a second claim would take a second task while the first one's lease runs out unseen. Recover such a lease
    /// with <see cref="ListLeasesAsync"/>.
    /// </summary>
    public Task<Lease?> ClaimAsync(string workerId, string? projectId = null, int? waitSeconds = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/leases", new ClaimBody(projectId, waitSeconds), Json.ClaimBody, Replay.WhenNotReceived, Json.Lease, cancellationToken);

    /// <summary><c>GET /v1/workers/{workerId}/leases</c>: the worker's active leases.</summary>
    public async Task<IReadOnlyList<Lease>> ListLeasesAsync(string workerId, CancellationToken cancellationToken = default) =>
        (await GetAsync($"v1/workers/{Escape(workerId)}/leases", Json.LeaseList, cancellationToken)).Items;

    /// <summary>
    /// <c>POST .../leases/{leaseId}/heartbeat</c>: the lease now expires <paramref name="extendSeconds"/> from now
    /// (default: the project's lease time). Setting a deadline twice is harmless, so it is retried.
    /// </summary>
    public async Task<HeartbeatReceipt> HeartbeatAsync(string workerId, string leaseId, int? extendSeconds = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/leases/{Escape(leaseId)}/heartbeat", new HeartbeatBody(extendSeconds), Json.HeartbeatBody, Replay.Safe, Json.HeartbeatReceipt, cancellationToken))!;

    /// <summary>
    /// <c>POST .../leases/{leaseId}/submit</c>. Not retried blindly: when the first attempt was stored but its answer
    /// lost, a second one answers <c>409 lease-not-active</c>, which only the caller can read as success (the worker
    /// loop does, for the leases it holds).
    /// </summary>
    public async Task<SubmitReceipt> SubmitAsync(string workerId, string leaseId, System.Text.Json.JsonElement result, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/leases/{Escape(leaseId)}/submit", new SubmitBody(result), Json.SubmitBody, Replay.WhenNotReceived, Json.SubmitReceipt, cancellationToken))!;

    /// <summary>
    /// <c>POST .../leases/{leaseId}/release</c>: gives the task back at once (a failed attempt). Not retried blindly
    /// for the same reason as <see cref="SubmitAsync"/>.
    /// </summary>
    public Task ReleaseAsync(string workerId, string leaseId, string? reason = null, CancellationToken cancellationToken = default) =>
        SendAsync<ReasonBody, object>(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/leases/{Escape(leaseId)}/release", new ReasonBody(reason), Json.ReasonBody, Replay.WhenNotReceived, null, cancellationToken);
}
