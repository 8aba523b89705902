using System.Collections.Immutable;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Tasks;

namespace Dispatch.Tests.Rules;

/// <summary>
/// The lifecycle's commands as one-line calls for rule tests: each builds its command and context and asks
/// <see cref="TaskLifecycle.Decide"/>, so the tests exercise the table the grain uses.
/// </summary>
internal static class Lifecycle
{
    public static TaskDecision Lease(TaskRecord task, string workerId, string leaseId, DateTimeOffset now, int? overlap, TimeSpan duration) =>
        TaskLifecycle.Decide(task, new TaskCommand.Lease(workerId, leaseId, duration), new TaskContext(now, overlap, 10));

    public static TaskDecision Heartbeat(TaskRecord task, string leaseId, string workerId, DateTimeOffset now, TimeSpan extension, int maxAttempts) =>
        TaskLifecycle.Decide(task, new TaskCommand.Heartbeat(leaseId, workerId, extension), new TaskContext(now, 1, maxAttempts));

    public static TaskDecision Submit(
        TaskRecord task, string leaseId, string workerId, string resultJson, decimal reward, ImmutableArray<string> skills, DateTimeOffset now, int? overlap, int maxAttempts, bool reviewed = false) =>
        TaskLifecycle.Decide(task, new TaskCommand.Submit(leaseId, workerId, resultJson, reward, skills, reviewed), new TaskContext(now, overlap, maxAttempts));

    public static TaskDecision Release(TaskRecord task, string leaseId, string workerId, DateTimeOffset now, int maxAttempts) =>
        TaskLifecycle.Decide(task, new TaskCommand.Release(leaseId, workerId), new TaskContext(now, 1, maxAttempts));

    public static TaskChange? ExpireDue(TaskRecord task, DateTimeOffset now, int maxAttempts) =>
        TaskLifecycle.Decide(task, new TaskCommand.ExpireDue(), new TaskContext(now, 1, maxAttempts)).Change;

    public static TaskDecision Retry(TaskRecord task) =>
        TaskLifecycle.Decide(task, new TaskCommand.Retry(), new TaskContext(DateTimeOffset.UnixEpoch, 1, 10));

    public static TaskDecision Review(TaskRecord task, string workerId, Dispatch.Tasks.ReviewVerdict verdict, DateTimeOffset now, int? overlap, int maxAttempts) =>
        TaskLifecycle.Decide(task, new TaskCommand.Review(workerId, verdict, Dispatch.Tasks.ReviewerKind.Requester, null, null), new TaskContext(now, overlap, maxAttempts));
}
