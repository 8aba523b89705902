namespace Dispatch.Client;

// Requesters and workers: the admin's calls (a worker may read its own view).
public sealed partial class DispatchClient
{
    /// <summary><c>POST /v1/requesters</c>. Not retried after a lost answer: its key is shown only in that answer.</summary>
    public async Task<CreatedRequester> CreateRequesterAsync(NewRequester requester, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "v1/requesters", requester, Json.NewRequester, Replay.WhenNotReceived, Json.CreatedRequester, cancellationToken))!;

    /// <summary><c>POST /v1/workers</c>. Not retried after a lost answer: its token is shown only in that answer.</summary>
    public async Task<CreatedWorker> CreateWorkerAsync(NewWorker worker, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "v1/workers", worker, Json.NewWorker, Replay.WhenNotReceived, Json.CreatedWorker, cancellationToken))!;

    /// <summary><c>GET /v1/workers/{workerId}</c> (admin, or that worker).</summary>
    public Task<Worker> GetWorkerAsync(string workerId, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/workers/{Escape(workerId)}", Json.Worker, cancellationToken);

    /// <summary><c>PUT /v1/workers/{workerId}/certifications/{skill}</c>: grants or sets the level (1..100); lifts a suspension.</summary>
    public async Task<Worker> CertifyAsync(string workerId, string skill, int level, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Put, $"v1/workers/{Escape(workerId)}/certifications/{Escape(skill)}", new LevelBody(level), Json.LevelBody, Replay.Safe, Json.Worker, cancellationToken))!;

    /// <summary><c>DELETE /v1/workers/{workerId}/certifications/{skill}</c>.</summary>
    public Task RevokeCertificationAsync(string workerId, string skill, CancellationToken cancellationToken = default) =>
        SendAsync<object>(HttpMethod.Delete, $"v1/workers/{Escape(workerId)}/certifications/{Escape(skill)}", null, Replay.Safe, null, cancellationToken);

    /// <summary><c>POST /v1/workers/{workerId}/block</c>: ends the worker's active leases at once.</summary>
    public async Task<Worker> BlockWorkerAsync(string workerId, string? reason = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/block", new ReasonBody(reason), Json.ReasonBody, Replay.Safe, Json.Worker, cancellationToken))!;

    /// <summary><c>POST /v1/workers/{workerId}/unblock</c>.</summary>
    public async Task<Worker> UnblockWorkerAsync(string workerId, string? reason = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/workers/{Escape(workerId)}/unblock", new ReasonBody(reason), Json.ReasonBody, Replay.Safe, Json.Worker, cancellationToken))!;
}
