using Microsoft.Extensions.Logging;

namespace Dispatch.Client;

public sealed partial class DispatchWorkerLoop
{
    [LoggerMessage(1, LogLevel.Information, "Recovered lease {LeaseId} of task {TaskId} granted earlier")]
    private partial void LogRecovered(string leaseId, string taskId);

    [LoggerMessage(2, LogLevel.Debug, "Submitted lease {LeaseId} of task {TaskId}; task now {TaskState} (null: stored by an earlier attempt)")]
    private partial void LogSubmitted(string leaseId, string taskId, TaskState? taskState);

    [LoggerMessage(3, LogLevel.Warning, "Lease {LeaseId} of task {TaskId} was lost (expired or ended by the server); its result is dropped")]
    private partial void LogLeaseLost(string leaseId, string taskId);

    [LoggerMessage(4, LogLevel.Warning, "The handler failed on lease {LeaseId} of task {TaskId}; releasing it")]
    private partial void LogHandlerFailed(Exception exception, string leaseId, string taskId);

    [LoggerMessage(5, LogLevel.Information, "Released lease {LeaseId} of task {TaskId}: {Reason}")]
    private partial void LogReleased(string leaseId, string taskId, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Could not release lease {LeaseId}; it expires at its deadline instead")]
    private partial void LogReleaseFailed(Exception exception, string leaseId);

    [LoggerMessage(7, LogLevel.Warning, "A Dispatch call failed ({Failures} in a row); trying again")]
    private partial void LogCallFailed(Exception exception, int failures);

    [LoggerMessage(8, LogLevel.Warning, "Gave up submitting lease {LeaseId} of task {TaskId}: no answer before its deadline; unless an attempt was stored, the task returns to the crowd when the lease expires")]
    private partial void LogSubmitAbandoned(Exception exception, string leaseId, string taskId);
}
