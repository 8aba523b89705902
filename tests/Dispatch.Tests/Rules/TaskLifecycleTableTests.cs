using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Tasks;
using Dispatch.Tasks;

namespace Dispatch.Tests.Rules;

/// <summary>
/// Walks every (state, command) pair of the task lifecycle table: each has a named rule of the kind written here, and
/// deciding it on a task in that state does what the kind promises (a refusal stores nothing, an ignored command
/// neither stores nor refuses, a handled one stores its change).
/// </summary>
public sealed class TaskLifecycleTableTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>What each pair must be; a state or command added without a line here fails the walk.</summary>
    private static readonly Dictionary<(TaskState, TaskCommandKind), (TaskRuleKind Kind, bool Changes)> Expected = new()
    {
        [(TaskState.Open, TaskCommandKind.Lease)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.Heartbeat)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.Submit)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.Release)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.ExpireDue)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.Retry)] = (TaskRuleKind.Refused, false),
        [(TaskState.Open, TaskCommandKind.Review)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.AutoAccept)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.LeaseReview)] = (TaskRuleKind.Handled, true),
        [(TaskState.Open, TaskCommandKind.CrowdVerdict)] = (TaskRuleKind.Handled, true),

        [(TaskState.Completed, TaskCommandKind.Lease)] = (TaskRuleKind.Refused, false),
        [(TaskState.Completed, TaskCommandKind.Heartbeat)] = (TaskRuleKind.AnsweredByLease, false),
        [(TaskState.Completed, TaskCommandKind.Submit)] = (TaskRuleKind.AnsweredByLease, false),
        [(TaskState.Completed, TaskCommandKind.Release)] = (TaskRuleKind.AnsweredByLease, false),
        [(TaskState.Completed, TaskCommandKind.ExpireDue)] = (TaskRuleKind.Ignored, false),
        [(TaskState.Completed, TaskCommandKind.Retry)] = (TaskRuleKind.Refused, false),
        [(TaskState.Completed, TaskCommandKind.Review)] = (TaskRuleKind.Handled, false),
        [(TaskState.Completed, TaskCommandKind.AutoAccept)] = (TaskRuleKind.Ignored, false),
        [(TaskState.Completed, TaskCommandKind.LeaseReview)] = (TaskRuleKind.Refused, false),
        [(TaskState.Completed, TaskCommandKind.CrowdVerdict)] = (TaskRuleKind.AnsweredByLease, false),

        [(TaskState.DeadLettered, TaskCommandKind.Lease)] = (TaskRuleKind.Refused, false),
        [(TaskState.DeadLettered, TaskCommandKind.Heartbeat)] = (TaskRuleKind.Handled, true),
        [(TaskState.DeadLettered, TaskCommandKind.Submit)] = (TaskRuleKind.AnsweredByLease, false),
        [(TaskState.DeadLettered, TaskCommandKind.Release)] = (TaskRuleKind.Handled, true),
        [(TaskState.DeadLettered, TaskCommandKind.ExpireDue)] = (TaskRuleKind.Handled, true),
        [(TaskState.DeadLettered, TaskCommandKind.Retry)] = (TaskRuleKind.Handled, true),
        [(TaskState.DeadLettered, TaskCommandKind.Review)] = (TaskRuleKind.Handled, true),
        [(TaskState.DeadLettered, TaskCommandKind.AutoAccept)] = (TaskRuleKind.Handled, true),
        [(TaskState.DeadLettered, TaskCommandKind.LeaseReview)] = (TaskRuleKind.Handled, true),
        [(TaskState.DeadLettered, TaskCommandKind.CrowdVerdict)] = (TaskRuleKind.Handled, true),
    };

    public static TheoryData<TaskState, TaskCommandKind> EveryPair()
    {
        var pairs = new TheoryData<TaskState, TaskCommandKind>();
        foreach (var state in Enum.GetValues<TaskState>())
        {
            foreach (var command in Enum.GetValues<TaskCommandKind>())
            {
                pairs.Add(state, command);
            }
        }

        return pairs;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void EveryPair_HasANamedRuleThatDoesWhatItsKindSays(TaskState state, TaskCommandKind command)
    {
        Assert.True(Expected.TryGetValue((state, command), out var expected), $"No expectation written for {command} in {state}.");
        var rule = TaskLifecycle.RuleFor(state, command);
        Assert.False(string.IsNullOrWhiteSpace(rule.Name));
        Assert.Equal(expected.Kind, rule.Kind);

        var task = TaskIn(state);
        var decision = TaskLifecycle.Decide(task, CommandOf(command, state), new TaskContext(Now, Overlap: 6, MaxAttempts: 10));

        switch (rule.Kind)
        {
            case TaskRuleKind.Refused:
            case TaskRuleKind.AnsweredByLease:
                Assert.Null(decision.Change);
                Assert.NotEqual(ErrorKind.None, decision.Error);
                break;
            case TaskRuleKind.Ignored:
                Assert.Same(TaskDecision.Unchanged, decision);
                break;
            default:
                Assert.Equal(ErrorKind.None, decision.Error);
                Assert.Equal(expected.Changes, decision.Change is not null);
                break;
        }
    }

    /// <summary>
    /// A task in <paramref name="state"/> as it can really be: open with pending submissions (w1, under review by w5 on
    /// lease R5, and w8), an active lease (w2) and an overdue one (w4); completed with every submission accepted, w1's
    /// by w5's review; dead-lettered with w1 (under review by w5), w7 (under review by w6, overdue) and w8 pending.
    /// </summary>
    private static TaskRecord TaskIn(TaskState state)
    {
        var pending = new SubmissionRecord("w1", "L1", "1", Now - 2 * Minute, null, 0m, [], SubmissionState.Pending);
        var accepted = pending with { State = SubmissionState.Accepted, DecidedAt = Now - Minute };
        var submitted = new LeaseRecord("L1", "w1", LeaseState.Submitted, Now - 3 * Minute, Now + Minute);
        var review = new LeaseRecord("R5", "w5", LeaseState.Active, Now, Now + Minute, ReviewOf: "w1");
        var w8 = new LeaseRecord("L8", "w8", LeaseState.Submitted, Now - 3 * Minute, Now + Minute);
        var w8Pending = pending with { WorkerId = "w8", LeaseId = "L8" };
        return state switch
        {
            TaskState.Open => Task(state, 0,
                [submitted, new LeaseRecord("L2", "w2", LeaseState.Active, Now, Now + Minute), new LeaseRecord("L4", "w4", LeaseState.Active, Now - 2 * Minute, Now - Minute), review, w8],
                [pending, w8Pending]),
            TaskState.Completed => Task(state, 0,
                [submitted, new LeaseRecord("L2", "w2", LeaseState.Submitted, Now, Now + Minute), review with { State = LeaseState.Submitted }],
                [accepted, accepted with { WorkerId = "w2", LeaseId = "L2" }]),
            _ => Task(state, 10,
                [submitted, new LeaseRecord("L2", "w2", LeaseState.Released, Now, Now + Minute), review,
                 new LeaseRecord("L7", "w7", LeaseState.Submitted, Now - 3 * Minute, Now + Minute), new LeaseRecord("R6", "w6", LeaseState.Active, Now - 2 * Minute, Now - Minute, ReviewOf: "w7"), w8],
                [pending, pending with { WorkerId = "w7", LeaseId = "L7" }, w8Pending]),
        };
    }

    private static TaskRecord Task(TaskState state, int failed, TaskLeases leases, TaskSubmissions submissions) =>
        new("t1", 0, 5, state, 0, 1, "{}", null, failed, leases, submissions);

    /// <summary>Heartbeat and release name w2's task lease, but in a dead-lettered task, where only review leases live on.</summary>
    private static TaskCommand CommandOf(TaskCommandKind kind, TaskState state) => kind switch
    {
        TaskCommandKind.Lease => new TaskCommand.Lease("w3", "L3", Minute),
        TaskCommandKind.Heartbeat when state == TaskState.DeadLettered => new TaskCommand.Heartbeat("R5", "w5", Minute),
        TaskCommandKind.Heartbeat => new TaskCommand.Heartbeat("L2", "w2", Minute),
        TaskCommandKind.Submit => new TaskCommand.Submit("L2", "w2", "2", 0m, [], Reviewed: true),
        TaskCommandKind.Release when state == TaskState.DeadLettered => new TaskCommand.Release("R5", "w5"),
        TaskCommandKind.Release => new TaskCommand.Release("L2", "w2"),
        TaskCommandKind.LeaseReview => new TaskCommand.LeaseReview("w3", "R3", Minute),
        TaskCommandKind.CrowdVerdict => new TaskCommand.CrowdVerdict("R5", "w5", ReviewVerdict.Reject, "wrong", 0.5m),
        TaskCommandKind.ExpireDue => new TaskCommand.ExpireDue(),
        TaskCommandKind.Retry => new TaskCommand.Retry(),
        TaskCommandKind.Review => new TaskCommand.Review("w1", ReviewVerdict.Accept, ReviewerKind.Requester, null, null),
        TaskCommandKind.AutoAccept => new TaskCommand.AutoAccept(Minute),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
