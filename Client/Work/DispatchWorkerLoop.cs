using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dispatch.Client;

/// <summary>
/// A worker's whole cycle: claim with long polling, run the handler while heartbeating the lease, submit the result;
/// release the lease when stopped. A claim whose answer was lost (no answer, timeout, <c>5xx</c>) may still have
/// granted a lease, so after one the loop lists the worker's active leases (<c>GET /v1/workers/{w}/leases</c>) and
/// works those before claiming again; it does the same when it starts, so a restarted process picks up its leases.
/// Run one loop per worker id (and project, when it names one): recovery takes over every active lease it may work.
/// </summary>
public sealed partial class DispatchWorkerLoop
{
    private readonly DispatchClient _client;
    private readonly WorkerLoopOptions _options;
    private readonly ILogger _logger;

    public DispatchWorkerLoop(DispatchClient client, WorkerLoopOptions options, ILogger<DispatchWorkerLoop>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Check();
        _client = client;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Works until <paramref name="cancellationToken"/> is cancelled (then throws <see cref="OperationCanceledException"/>
    /// after releasing the lease in hand), or until the server refuses the worker for good (blocked, unknown,
    /// forbidden project: a <see cref="DispatchProblemException"/>).
    /// </summary>
    public async Task RunAsync(LeaseHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var recover = true;
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (recover)
                {
                    var held = await _client.ListLeasesAsync(_options.WorkerId, cancellationToken);
                    (recover, failures) = (false, 0);
                    foreach (var lease in held.Where(l => _options.ProjectId is null || l.ProjectId == _options.ProjectId))
                    {
                        LogRecovered(lease.LeaseId, lease.TaskId);
                        await ProcessAsync(lease, handler, cancellationToken);
                    }

                    continue;
                }

                var claimed = await _client.ClaimAsync(_options.WorkerId, _options.ProjectId, _options.WaitSeconds, cancellationToken);
                failures = 0;
                if (claimed is not null)
                {
                    await ProcessAsync(claimed, handler, cancellationToken);
                }
            }
            catch (Exception e) when (Faults.IsTransient(e, cancellationToken))
            {
                recover = true;
                LogCallFailed(e, ++failures);
                await Task.Delay(Backoff(failures), cancellationToken);
            }
            catch (DispatchProblemException e) when (e.Is(ProblemTypes.Conflict))
            {
                // At its most active leases: the worker holds leases this loop does not know of.
                recover = true;
                LogCallFailed(e, ++failures);
                await Task.Delay(Backoff(failures), cancellationToken);
            }
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(_options.MaxFailureDelay.Ticks, _options.FailureDelay.Ticks << Math.Min(failures - 1, 16)));
}
