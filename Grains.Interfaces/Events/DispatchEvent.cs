namespace Dispatch.Events;

/// <summary>A task or worker event of one project, as the events endpoint serves it.</summary>
/// <param name="Type">One of <see cref="EventTypes"/>.</param>
/// <param name="DataJson">Extra data as JSON, or null.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.DispatchEvent")]
public sealed record DispatchEvent(
    [property: Id(0)] string Type,
    [property: Id(1)] string ProjectId,
    [property: Id(2)] string? TaskId,
    [property: Id(3)] string? WorkerId,
    [property: Id(4)] string? LeaseId,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] string? DataJson);

/// <summary>
/// New work may be free in a project (an import, an expired or released lease, a retry, a project opened).
/// Each silo receives them once (<see cref="IWorkSignals"/>): its views of the project drop what they knew, then
/// about <paramref name="Slots"/> waiting claims try again.
/// </summary>
/// <param name="Slots">
/// How many claims the work made free can serve at most, so that each silo wakes about that many waiting claims
/// rather than all of them. <see cref="AllSlots"/> when it cannot be counted (a project opened, an exam's unlimited
/// overlap); zero, as from a sender that did not count, reads the same.
/// </param>
[GenerateSerializer, Immutable, Alias("Dispatch.WorkSignal")]
public sealed record WorkSignal([property: Id(0)] string ProjectId, [property: Id(1)] int Slots)
{
    /// <summary>Wakes every waiting claim that may take the project's work.</summary>
    public const int AllSlots = int.MaxValue;

    /// <summary>How many waiting claims a silo wakes for this signal.</summary>
    public int Wakes => Slots > 0 ? Slots : AllSlots;
}

public static class EventTypes
{
    public const string TaskCreated = "task.created";
    public const string TaskLeased = "task.leased";
    public const string TaskSubmitted = "task.submitted";
    public const string TaskCompleted = "task.completed";
    public const string LeaseExpired = "lease.expired";
    public const string LeaseReleased = "lease.released";
    public const string TaskDeadLettered = "task.deadLettered";
    public const string TaskRetried = "task.retried";
    public const string WorkerCertified = "worker.certified";
    public const string WorkerSuspended = "worker.suspended";
    public const string SubmissionAccepted = "submission.accepted";
    public const string SubmissionRejected = "submission.rejected";
}

/// <summary>Where events travel: one Orleans stream per project, and one stream of work signals.</summary>
public static class EventStreams
{
    public const string Provider = "dispatch";
    public const string ProjectNamespace = "project-events";
    public const string WorkNamespace = "work-signals";
    public const string WorkKey = "all";
}
