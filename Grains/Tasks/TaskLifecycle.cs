using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// A rule's answer: the change to store (if any), and what to tell the caller. A decision may both change the
/// task and refuse the call: a submit that arrives after <c>expiresAt</c> expires the lease and answers
/// <c>lease-expired</c>.
/// </summary>
public sealed record TaskDecision(TaskChange? Change, ErrorKind Error = ErrorKind.None, string? Detail = null, LeaseRefusal Refusal = LeaseRefusal.None)
{
    public static TaskDecision Refuse(ErrorKind error, string detail) => new(null, error, detail);

    public static TaskDecision Refuse(LeaseRefusal refusal) => new(null, ErrorKind.Conflict, refusal.ToString(), refusal);
}

/// <summary>
/// The rules of a task's life, as plain functions of its stored record: which calls it accepts in which state,
/// and what each changes. No I/O, no clock: the grain passes <c>now</c>, stores the change, then applies it.
/// </summary>
public static class TaskLifecycle
{
    /// <param name="overlap">Slots per task; null when unlimited (exam projects).</param>
    public static TaskDecision Lease(TaskRecord task, string workerId, string leaseId, DateTimeOffset now, int? overlap, TimeSpan duration)
    {
        if (task.State != TaskState.Open)
        {
            return TaskDecision.Refuse(LeaseRefusal.NotOpen);
        }

        // Each (task, worker) pair is leased at most once, ever, whatever became of that lease.
        if (task.Leases.Any(l => l.WorkerId == workerId))
        {
            return TaskDecision.Refuse(LeaseRefusal.WorkerHadTask);
        }

        var taken = task.Leases.Count(l => l.State is LeaseState.Active or LeaseState.Submitted);
        if (overlap is { } slots && taken >= slots)
        {
            return TaskDecision.Refuse(LeaseRefusal.NoFreeSlot);
        }

        var lease = new LeaseRecord(leaseId, workerId, LeaseState.Active, now, now + duration);
        return new TaskDecision(new TaskChange(task.State, task.FailedAttempts, false, lease, [], null));
    }

    public static TaskDecision Heartbeat(TaskRecord task, string leaseId, string workerId, DateTimeOffset now, TimeSpan extension, int maxAttempts)
    {
        if (CheckActive(task, leaseId, workerId, now, maxAttempts) is { } refusal)
        {
            return refusal;
        }

        var lease = Find(task, leaseId)! with { ExpiresAt = now + extension };
        return new TaskDecision(new TaskChange(task.State, task.FailedAttempts, false, null, [lease], null));
    }

    /// <summary>Accepts the result; a task with a golden answer scores it, and the overlap-th submission completes the task.</summary>
    public static TaskDecision Submit(TaskRecord task, string leaseId, string workerId, string resultJson, decimal reward, ImmutableArray<string> skills, DateTimeOffset now, int? overlap, int maxAttempts)
    {
        if (CheckActive(task, leaseId, workerId, now, maxAttempts) is { } refusal)
        {
            return refusal;
        }

        bool? correct = task.GoldenAnswerJson is { } golden ? JsonValues.Equivalent(golden, resultJson) : null;
        var lease = Find(task, leaseId)! with { State = LeaseState.Submitted };
        var completes = overlap is { } slots && task.Submissions.Length + 1 >= slots;
        var submission = new SubmissionRecord(workerId, leaseId, resultJson, now, correct, reward, skills);
        return new TaskDecision(new TaskChange(completes ? TaskState.Completed : task.State, task.FailedAttempts, completes, null, [lease], submission));
    }

    public static TaskDecision Release(TaskRecord task, string leaseId, string workerId, DateTimeOffset now, int maxAttempts)
    {
        if (CheckActive(task, leaseId, workerId, now, maxAttempts) is { } refusal)
        {
            return refusal;
        }

        return new TaskDecision(Fail(task, Find(task, leaseId)!, LeaseState.Released, maxAttempts));
    }

    /// <summary>Expires every active lease whose deadline has passed; null when none has.</summary>
    public static TaskChange? ExpireDue(TaskRecord task, DateTimeOffset now, int maxAttempts)
    {
        var due = task.Leases.FirstOrDefault(l => l.State == LeaseState.Active && l.ExpiresAt <= now);
        return due is null ? null : Fail(task, due, LeaseState.Expired, maxAttempts);
    }

    public static TaskDecision Retry(TaskRecord task) => task.State == TaskState.DeadLettered
        ? new TaskDecision(new TaskChange(TaskState.Open, 0, false, null, [], null))
        : TaskDecision.Refuse(ErrorKind.Conflict, $"Task '{task.TaskId}' is {task.State}, not dead-lettered.");

    /// <summary>The record after <paramref name="change"/> was stored as <paramref name="version"/>.</summary>
    public static TaskRecord Apply(TaskRecord task, TaskChange change, long version)
    {
        var leases = task.Leases;
        foreach (var updated in change.UpdatedLeases)
        {
            leases = leases.Replace(leases.First(l => l.LeaseId == updated.LeaseId), updated);
        }

        if (change.NewLease is { } added)
        {
            leases = leases.Add(added);
        }

        return task with
        {
            Version = version,
            State = change.State,
            FailedAttempts = change.FailedAttempts,
            Leases = leases,
            Submissions = change.NewSubmission is { } s ? task.Submissions.Add(s) : task.Submissions,
        };
    }

    public static LeaseRecord? Find(TaskRecord task, string leaseId) => task.Leases.FirstOrDefault(l => l.LeaseId == leaseId);

    /// <summary>
    /// A failed attempt: the lease ends as <paramref name="endAs"/>; at <paramref name="maxAttempts"/> the task is
    /// dead-lettered and its other active leases are released with it (without counting as more failures).
    /// </summary>
    private static TaskChange Fail(TaskRecord task, LeaseRecord lease, LeaseState endAs, int maxAttempts)
    {
        var failed = task.FailedAttempts + 1;
        var ended = ImmutableArray.Create(lease with { State = endAs });
        if (failed < maxAttempts || task.State != TaskState.Open)
        {
            return new TaskChange(task.State, failed, false, null, ended, null);
        }

        var others = task.Leases.Where(l => l.State == LeaseState.Active && l.LeaseId != lease.LeaseId).Select(l => l with { State = LeaseState.Released });
        return new TaskChange(TaskState.DeadLettered, failed, false, null, ended.AddRange(others), null);
    }

    /// <summary>Null when the lease is this worker's and active; otherwise the refusal (expiring it if it is overdue).</summary>
    private static TaskDecision? CheckActive(TaskRecord task, string leaseId, string workerId, DateTimeOffset now, int maxAttempts)
    {
        var lease = Find(task, leaseId);
        if (lease is null || lease.WorkerId != workerId)
        {
            return TaskDecision.Refuse(ErrorKind.NotFound, $"Lease '{leaseId}' does not exist for worker '{workerId}'.");
        }

        return lease.State switch
        {
            LeaseState.Active when lease.ExpiresAt <= now => new TaskDecision(Fail(task, lease, LeaseState.Expired, maxAttempts), ErrorKind.LeaseExpired, Expired(lease)),
            LeaseState.Active => null,
            LeaseState.Expired => TaskDecision.Refuse(ErrorKind.LeaseExpired, Expired(lease)),
            _ => TaskDecision.Refuse(ErrorKind.LeaseNotActive, $"Lease '{leaseId}' was already {(lease.State == LeaseState.Submitted ? "submitted" : "released")}."),
        };
    }

    private static string Expired(LeaseRecord lease) => $"Lease '{lease.LeaseId}' expired at {lease.ExpiresAt.UtcDateTime:O}.";
}
