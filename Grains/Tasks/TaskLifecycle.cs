using System.Collections.Frozen;
using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Aggregation;
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
    /// <summary>Nothing to store, nothing to refuse: the command was expected in this state and changes nothing.</summary>
    public static readonly TaskDecision Unchanged = new((TaskChange?)null);

    public static TaskDecision Refuse(ErrorKind error, string detail) => new(null, error, detail);

    public static TaskDecision Refuse(LeaseRefusal refusal) => new(null, ErrorKind.Conflict, refusal.ToString(), refusal);
}

/// <summary>How a state treats a command, as the lifecycle table names it.</summary>
public enum TaskRuleKind
{
    /// <summary>The command is served and may change the task.</summary>
    Handled,

    /// <summary>The lease named decides: in this state no lease is active, so the answer is its refusal.</summary>
    AnsweredByLease,

    /// <summary>Expected late or duplicate news: nothing changes and nothing is refused.</summary>
    Ignored,

    /// <summary>Refused with an error, nothing changes.</summary>
    Refused,
}

/// <summary>One cell of the lifecycle table.</summary>
public sealed record TaskRule(string Name, TaskRuleKind Kind, Func<TaskRecord, TaskCommand, TaskContext, TaskDecision> Handle);

/// <summary>
/// The rules of a task's life as one table: for each state and each command, a named rule, including the commands a
/// state ignores or refuses on purpose (as MassTransit's job state machine names, per state, the events it accepts
/// and ignores). No I/O, no clock: the grain passes <see cref="TaskContext.Now"/>, stores the change, then applies it.
/// </summary>
public static class TaskLifecycle
{
    private static readonly FrozenDictionary<(TaskState, TaskCommandKind), TaskRule> Table = BuildTable();

    /// <summary>The decision for <paramref name="command"/> on <paramref name="task"/> in its current state.</summary>
    public static TaskDecision Decide(TaskRecord task, TaskCommand command, TaskContext context) =>
        RuleFor(task.State, command.Kind).Handle(task, command, context);

    /// <summary>The table's cell for a state and a command; every pair has one.</summary>
    public static TaskRule RuleFor(TaskState state, TaskCommandKind command) => Table[(state, command)];

    private static FrozenDictionary<(TaskState, TaskCommandKind), TaskRule> BuildTable()
    {
        var notOpen = new TaskRule("lease refused: task not open", TaskRuleKind.Refused, (_, _, _) => TaskDecision.Refuse(LeaseRefusal.NotOpen));
        var byLease = new TaskRule("answered by the lease (none is active)", TaskRuleKind.AnsweredByLease, OnLease);
        var nothingDue = new TaskRule("ignored: no lease can be active", TaskRuleKind.Ignored, (_, _, _) => TaskDecision.Unchanged);
        var notDeadLettered = new TaskRule("retry refused: not dead-lettered", TaskRuleKind.Refused, (task, _, _) =>
            TaskDecision.Refuse(ErrorKind.Conflict, $"Task '{task.TaskId}' is {task.State}, not dead-lettered."));
        var review = new TaskRule("review the submission", TaskRuleKind.Handled, Review);
        var autoAccept = new TaskRule("accept a submission pending too long", TaskRuleKind.Handled, AutoAccept);
        var leaseReview = new TaskRule("lease a pending submission for review", TaskRuleKind.Handled, LeaseReview);
        var crowdVerdict = new TaskRule("store the reviewer's verdict", TaskRuleKind.Handled, CrowdVerdict);

        var table = new Dictionary<(TaskState, TaskCommandKind), TaskRule>
        {
            [(TaskState.Open, TaskCommandKind.Lease)] = new("lease a free slot", TaskRuleKind.Handled, Lease),
            [(TaskState.Open, TaskCommandKind.Heartbeat)] = new("extend the lease", TaskRuleKind.Handled, Heartbeat),
            [(TaskState.Open, TaskCommandKind.Submit)] = new("store the submission", TaskRuleKind.Handled, Submit),
            [(TaskState.Open, TaskCommandKind.Release)] = new("end the lease as a failed attempt", TaskRuleKind.Handled, Release),
            [(TaskState.Open, TaskCommandKind.ExpireDue)] = new("expire an overdue lease", TaskRuleKind.Handled, ExpireDue),
            [(TaskState.Open, TaskCommandKind.Retry)] = notDeadLettered,
            [(TaskState.Open, TaskCommandKind.Review)] = review,
            [(TaskState.Open, TaskCommandKind.AutoAccept)] = autoAccept,
            [(TaskState.Open, TaskCommandKind.LeaseReview)] = leaseReview,
            [(TaskState.Open, TaskCommandKind.CrowdVerdict)] = crowdVerdict,

            // Completing takes every slot: no lease is active and no submission is pending any more.
            [(TaskState.Completed, TaskCommandKind.Lease)] = notOpen,
            [(TaskState.Completed, TaskCommandKind.Heartbeat)] = byLease,
            [(TaskState.Completed, TaskCommandKind.Submit)] = byLease,
            [(TaskState.Completed, TaskCommandKind.Release)] = byLease,
            [(TaskState.Completed, TaskCommandKind.ExpireDue)] = nothingDue,
            [(TaskState.Completed, TaskCommandKind.Retry)] = notDeadLettered,
            [(TaskState.Completed, TaskCommandKind.Review)] = new("answer a verdict already given", TaskRuleKind.Handled, Review),
            [(TaskState.Completed, TaskCommandKind.AutoAccept)] = new("ignored: nothing is pending", TaskRuleKind.Ignored, (_, _, _) => TaskDecision.Unchanged),
            [(TaskState.Completed, TaskCommandKind.LeaseReview)] = new("review lease refused: nothing is pending", TaskRuleKind.Refused, (_, _, _) => TaskDecision.Refuse(LeaseRefusal.NotOpen)),
            [(TaskState.Completed, TaskCommandKind.CrowdVerdict)] = byLease,

            // A dead letter releases every active task lease; submissions pending then stay reviewable, by the crowd too,
            // so review leases live on: they alone may be active here.
            [(TaskState.DeadLettered, TaskCommandKind.Lease)] = notOpen,
            [(TaskState.DeadLettered, TaskCommandKind.Heartbeat)] = new("extend the (review) lease", TaskRuleKind.Handled, Heartbeat),
            [(TaskState.DeadLettered, TaskCommandKind.Submit)] = byLease,
            [(TaskState.DeadLettered, TaskCommandKind.Release)] = new("end the (review) lease", TaskRuleKind.Handled, Release),
            [(TaskState.DeadLettered, TaskCommandKind.ExpireDue)] = new("expire an overdue (review) lease", TaskRuleKind.Handled, ExpireDue),
            [(TaskState.DeadLettered, TaskCommandKind.Retry)] = new("open again, failed attempts reset", TaskRuleKind.Handled, (task, _, _) =>
                new TaskDecision(new TaskChange(TaskState.Open, 0, false, null, [], null))),
            [(TaskState.DeadLettered, TaskCommandKind.Review)] = review,
            [(TaskState.DeadLettered, TaskCommandKind.AutoAccept)] = autoAccept,
            [(TaskState.DeadLettered, TaskCommandKind.LeaseReview)] = leaseReview,
            [(TaskState.DeadLettered, TaskCommandKind.CrowdVerdict)] = crowdVerdict,
        };

        foreach (var state in Enum.GetValues<TaskState>())
        {
            foreach (var command in Enum.GetValues<TaskCommandKind>())
            {
                if (!table.ContainsKey((state, command)))
                {
                    throw new InvalidOperationException($"The task lifecycle names no rule for {command} in {state}.");
                }
            }
        }

        return table.ToFrozenDictionary();
    }

    private static TaskDecision Lease(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var lease = (TaskCommand.Lease)command;

        // Each (task, worker) pair is leased at most once, ever, whatever became of that lease.
        if (task.Leases.Touched(lease.WorkerId))
        {
            return TaskDecision.Refuse(LeaseRefusal.WorkerHadTask);
        }

        if (SlotsOf(task, context) is { } slots && SlotsTaken(task) >= slots)
        {
            return TaskDecision.Refuse(LeaseRefusal.NoFreeSlot);
        }

        var added = new LeaseRecord(lease.LeaseId, lease.WorkerId, LeaseState.Active, context.Now, context.Now + lease.Duration);
        return new TaskDecision(new TaskChange(task.State, task.FailedAttempts, false, added, [], null));
    }

    /// <summary>
    /// How many slots the task has now: the project's overlap, or with dynamic overlap one more than its accepted answers
    /// once they reached the overlap without agreeing (the task would have completed otherwise). Null: unlimited (exams).
    /// </summary>
    public static int? SlotsOf(TaskRecord task, TaskContext context) =>
        TaskSnapshots.Slots(context.Overlap, context.Dynamic is not null, task.Submissions.Accepted);

    /// <summary>Active task leases plus the submissions holding their slot (pending or accepted); a review takes no slot.</summary>
    public static int SlotsTaken(TaskRecord task) =>
        task.Leases.Active.Count(l => !l.IsReview) + task.Submissions.HoldingSlots;

    /// <summary>
    /// Crowd review: the oldest pending submission this worker may review. A worker who held a task lease on the task
    /// reviews none of its submissions (it answered the same question); an item is leased to one reviewer at a time,
    /// and to each reviewer at most once, whatever became of that lease.
    /// </summary>
    private static TaskDecision LeaseReview(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var lease = (TaskCommand.LeaseReview)command;
        if (task.Leases.HeldTaskLease(lease.WorkerId))
        {
            return TaskDecision.Refuse(LeaseRefusal.WorkerHadTask);
        }

        // Only a worker who reviewed on this task before needs the whole list read.
        var reviewedBefore = task.Leases.Reviewed(lease.WorkerId)
            ? task.Leases.Where(l => l.IsReview && l.WorkerId == lease.WorkerId).Select(l => l.ReviewOf!).ToHashSet(StringComparer.Ordinal)
            : null;
        var item = task.Submissions.Pending.FirstOrDefault(s =>
            reviewedBefore?.Contains(s.WorkerId) != true && !task.Leases.Active.Any(l => l.ReviewOf == s.WorkerId));
        if (item is null)
        {
            return TaskDecision.Refuse(LeaseRefusal.NoFreeSlot);
        }

        var added = new LeaseRecord(lease.LeaseId, lease.WorkerId, LeaseState.Active, context.Now, context.Now + lease.Duration, item.WorkerId);
        return new TaskDecision(new TaskChange(task.State, task.FailedAttempts, false, added, [], null));
    }

    /// <summary>A reviewer's verdict ends its review lease as submitted and decides the submission under review.</summary>
    private static TaskDecision CrowdVerdict(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var verdict = (TaskCommand.CrowdVerdict)command;
        if (CheckActive(task, verdict.LeaseId, verdict.WorkerId, context) is { } refusal)
        {
            return refusal;
        }

        var lease = Find(task, verdict.LeaseId)!;
        var submission = task.Submissions.Of(lease.ReviewOf!);
        if (submission is not { State: SubmissionState.Pending })
        {
            // Deciding a submission ends its review lease, so only a lease that is not a review lease gets here.
            return TaskDecision.Refuse(ErrorKind.NotReviewable, $"Lease '{verdict.LeaseId}' reviews no pending submission.");
        }

        var byLease = lease with { State = LeaseState.Submitted };
        return new TaskDecision(Decided(task, submission, verdict.Verdict, ReviewerKind.Crowd, verdict.WorkerId, verdict.Comment, context, byLease, verdict.Reward));
    }

    private static TaskDecision Heartbeat(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var heartbeat = (TaskCommand.Heartbeat)command;
        if (CheckActive(task, heartbeat.LeaseId, heartbeat.WorkerId, context) is { } refusal)
        {
            return refusal;
        }

        var lease = Find(task, heartbeat.LeaseId)! with { ExpiresAt = context.Now + heartbeat.Extension };
        return new TaskDecision(new TaskChange(task.State, task.FailedAttempts, false, null, [lease], null));
    }

    /// <summary>
    /// Stores the result; a task with a golden answer scores it. Without review the submission is accepted at once and
    /// the overlap-th completes the task; with review it is stored pending and holds its slot until its verdict.
    /// </summary>
    private static TaskDecision Submit(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var submit = (TaskCommand.Submit)command;
        if (CheckActive(task, submit.LeaseId, submit.WorkerId, context) is { } refusal)
        {
            return refusal;
        }

        var now = context.Now;
        bool? correct = task.GoldenAnswerJson is { } golden ? JsonValues.Equivalent(golden, submit.ResultJson) : null;
        var lease = Find(task, submit.LeaseId)! with { State = LeaseState.Submitted };
        var submission = submit.Reviewed
            ? new SubmissionRecord(submit.WorkerId, submit.LeaseId, submit.ResultJson, now, correct, submit.Reward, submit.Skills, SubmissionState.Pending)
            : new SubmissionRecord(submit.WorkerId, submit.LeaseId, submit.ResultJson, now, correct, submit.Reward, submit.Skills, SubmissionState.Accepted, now);
        var completes = !submit.Reviewed && CompletesWithOneMoreAccepted(task, submission, context);
        return new TaskDecision(new TaskChange(completes ? TaskState.Completed : task.State, task.FailedAttempts, completes, null, [lease], submission));
    }

    private static TaskDecision Release(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var release = (TaskCommand.Release)command;
        if (CheckActive(task, release.LeaseId, release.WorkerId, context) is { } refusal)
        {
            return refusal;
        }

        return new TaskDecision(EndLease(task, Find(task, release.LeaseId)! with { State = LeaseState.Released }, context));
    }

    private static TaskDecision ExpireDue(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var due = task.Leases.Active.FirstOrDefault(l => l.ExpiresAt <= context.Now);
        return due is null ? TaskDecision.Unchanged : new TaskDecision(EndLease(task, due with { State = LeaseState.Expired }, context));
    }

    /// <summary>
    /// A lease ended unfinished. A task lease is a failed attempt; a review lease only frees its item for another
    /// reviewer: the task was not attempted.
    /// </summary>
    private static TaskChange EndLease(TaskRecord task, LeaseRecord ended, TaskContext context) =>
        ended.IsReview ? new TaskChange(task.State, task.FailedAttempts, false, null, [ended], null) : Fail(task, [ended], null, context.MaxAttempts);

    /// <summary>
    /// A verdict on a worker's submission. Accepting may complete the task; rejecting gives the slot back and counts
    /// as a failed attempt. The same verdict again changes nothing; the other one on a decided submission is refused.
    /// </summary>
    private static TaskDecision Review(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var review = (TaskCommand.Review)command;
        var submission = task.Submissions.Of(review.WorkerId);
        if (submission is null)
        {
            return TaskDecision.Refuse(ErrorKind.NotFound, $"Worker '{review.WorkerId}' has no submission on task '{task.TaskId}'.");
        }

        var verdict = review.Verdict == ReviewVerdict.Accept ? SubmissionState.Accepted : SubmissionState.Rejected;
        if (submission.State == verdict)
        {
            return TaskDecision.Unchanged;
        }

        if (submission.State != SubmissionState.Pending)
        {
            return TaskDecision.Refuse(ErrorKind.NotReviewable, $"The submission of worker '{review.WorkerId}' on task '{task.TaskId}' was already {submission.State.ToString().ToLowerInvariant()}.");
        }

        return new TaskDecision(Decided(task, submission, review.Verdict, review.By, review.ReviewerId, review.Comment, context));
    }

    private static TaskDecision AutoAccept(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var after = ((TaskCommand.AutoAccept)command).After;
        var due = task.Submissions.Pending.FirstOrDefault(s => s.SubmittedAt + after <= context.Now);
        return due is null ? TaskDecision.Unchanged : new TaskDecision(Decided(task, due, ReviewVerdict.Accept, ReviewerKind.Auto, null, null, context));
    }

    /// <summary>
    /// The verdict on a pending submission. Review leases of that submission end with it: the one that gave the
    /// verdict (<paramref name="byLease"/>, first) as submitted, any other (the requester or the clock decided first) as
    /// released.
    /// </summary>
    private static TaskChange Decided(
        TaskRecord task, SubmissionRecord pending, ReviewVerdict verdict, ReviewerKind by, string? reviewerId, string? comment, TaskContext context,
        LeaseRecord? byLease = null, decimal reviewReward = 0m)
    {
        var now = context.Now;
        var decided = pending with
        {
            State = verdict == ReviewVerdict.Accept ? SubmissionState.Accepted : SubmissionState.Rejected,
            DecidedAt = now,
            Review = new ReviewView(verdict, by, reviewerId, comment, now),
            ReviewReward = reviewReward,
        };
        var overtaken = task.Leases.Active
            .Where(l => l.ReviewOf == pending.WorkerId && l.LeaseId != byLease?.LeaseId)
            .Select(l => l with { State = LeaseState.Released });
        ImmutableArray<LeaseRecord> ended = byLease is null ? [.. overtaken] : [byLease, .. overtaken];
        if (verdict == ReviewVerdict.Reject)
        {
            return Fail(task, ended, decided, context.MaxAttempts);
        }

        var completes = task.State == TaskState.Open && CompletesWithOneMoreAccepted(task, decided, context);
        return new TaskChange(completes ? TaskState.Completed : task.State, task.FailedAttempts, completes, null, ended, null, decided);
    }

    /// <summary>
    /// Whether accepting <paramref name="accepted"/> completes the task: at <c>overlap</c> accepted answers; with dynamic
    /// overlap only when the leading answer's share reaches <c>agreement</c> there, or at <c>max</c> whatever the share.
    /// </summary>
    private static bool CompletesWithOneMoreAccepted(TaskRecord task, SubmissionRecord accepted, TaskContext context)
    {
        if (context.Overlap is not { } overlap)
        {
            return false;
        }

        var answers = task.Submissions.Where(s => s.State == SubmissionState.Accepted && s.WorkerId != accepted.WorkerId).Append(accepted)
            .OrderBy(s => s.SubmittedAt).ThenBy(s => s.WorkerId, StringComparer.Ordinal)
            .ToList();
        if (answers.Count < overlap)
        {
            return false;
        }

        if (context.Dynamic is not { } dynamic || answers.Count >= dynamic.Max)
        {
            return true;
        }

        return MajorityVote.Of(answers.Select(s => s.ResultJson), context.AnswerField)!.Confidence >= dynamic.Agreement;
    }

    /// <summary>The record after <paramref name="change"/> was stored as <paramref name="version"/>.</summary>
    public static TaskRecord Apply(TaskRecord task, TaskChange change, long version)
    {
        var leases = task.Leases;
        foreach (var updated in change.UpdatedLeases)
        {
            leases = leases.Replace(updated);
        }

        if (change.NewLease is { } added)
        {
            leases = leases.Add(added);
        }

        var submissions = change.NewSubmission is { } s ? task.Submissions.Add(s) : task.Submissions;
        if (change.DecidedSubmission is { } decided)
        {
            submissions = submissions.Replace(decided);
        }

        return task with
        {
            Version = version,
            State = change.State,
            FailedAttempts = change.FailedAttempts,
            Leases = leases,
            Submissions = submissions,
        };
    }

    public static LeaseRecord? Find(TaskRecord task, string leaseId) => task.Leases.Find(leaseId);

    /// <summary>
    /// A failed attempt: a lease ended (<paramref name="ended"/>) or a submission was rejected
    /// (<paramref name="rejected"/>). At the maximum the task is dead-lettered and its other active leases are
    /// released with it (without counting as more failures).
    /// </summary>
    private static TaskChange Fail(TaskRecord task, ImmutableArray<LeaseRecord> ended, SubmissionRecord? rejected, int maxAttempts)
    {
        var failed = task.FailedAttempts + 1;
        if (failed < maxAttempts || task.State != TaskState.Open)
        {
            return new TaskChange(task.State, failed, false, null, ended, null, rejected);
        }

        // Review leases live on: the submissions they review stay reviewable in a dead-lettered task.
        var endedIds = ended.Select(l => l.LeaseId).ToHashSet(StringComparer.Ordinal);
        var others = task.Leases.Active.Where(l => !l.IsReview && !endedIds.Contains(l.LeaseId)).Select(l => l with { State = LeaseState.Released });
        return new TaskChange(TaskState.DeadLettered, failed, false, null, ended.AddRange(others), null, rejected);
    }

    /// <summary>Heartbeat, submit and release in a state without active leases: the lease's own refusal.</summary>
    private static TaskDecision OnLease(TaskRecord task, TaskCommand command, TaskContext context)
    {
        var (leaseId, workerId) = command switch
        {
            TaskCommand.Heartbeat h => (h.LeaseId, h.WorkerId),
            TaskCommand.Submit s => (s.LeaseId, s.WorkerId),
            TaskCommand.Release r => (r.LeaseId, r.WorkerId),
            TaskCommand.CrowdVerdict v => (v.LeaseId, v.WorkerId),
            _ => throw new ArgumentException($"{command.Kind} names no lease.", nameof(command)),
        };
        return CheckActive(task, leaseId, workerId, context) ?? TaskDecision.Refuse(ErrorKind.LeaseNotActive, $"Task '{task.TaskId}' is {task.State}.");
    }

    /// <summary>Null when the lease is this worker's and active; otherwise the refusal (expiring it if it is overdue).</summary>
    private static TaskDecision? CheckActive(TaskRecord task, string leaseId, string workerId, TaskContext context)
    {
        var lease = Find(task, leaseId);
        if (lease is null || lease.WorkerId != workerId)
        {
            return TaskDecision.Refuse(ErrorKind.NotFound, $"Lease '{leaseId}' does not exist for worker '{workerId}'.");
        }

        return lease.State switch
        {
            LeaseState.Active when lease.ExpiresAt <= context.Now =>
                new TaskDecision(EndLease(task, lease with { State = LeaseState.Expired }, context), ErrorKind.LeaseExpired, Expired(lease)),
            LeaseState.Active => null,
            LeaseState.Expired => TaskDecision.Refuse(ErrorKind.LeaseExpired, Expired(lease)),
            _ => TaskDecision.Refuse(ErrorKind.LeaseNotActive, $"Lease '{leaseId}' was already {(lease.State == LeaseState.Submitted ? "submitted" : "released")}."),
        };
    }

    private static string Expired(LeaseRecord lease) => $"Lease '{lease.LeaseId}' expired at {lease.ExpiresAt.UtcDateTime:O}.";
}
