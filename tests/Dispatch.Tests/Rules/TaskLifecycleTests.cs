using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Tasks;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Rules;

public sealed class TaskLifecycleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void Lease_OpenTaskWithFreeSlot_AddsActiveLeaseUntilDeadline()
    {
        var decision = Lifecycle.Lease(NewTask(), "w1", "L1", Now, overlap: 1, Minute);

        Assert.Equal(ErrorKind.None, decision.Error);
        Assert.Equal(new LeaseRecord("L1", "w1", LeaseState.Active, Now, Now + Minute), decision.Change!.NewLease);
    }

    [Fact]
    public void Lease_WhenOverlapReached_RefusesNoFreeSlot()
    {
        var task = Leased(NewTask(), "w1", "L1");

        var decision = Lifecycle.Lease(task, "w2", "L2", Now, overlap: 1, Minute);

        Assert.Null(decision.Change);
        Assert.Equal(LeaseRefusal.NoFreeSlot, decision.Refusal);
    }

    [Fact]
    public void Lease_SameWorkerAfterItsLeaseExpired_IsRefusedForever()
    {
        var task = Leased(NewTask(), "w1", "L1");
        task = Stored(task, Lifecycle.ExpireDue(task, Now + Minute, maxAttempts: 10)!);

        var decision = Lifecycle.Lease(task, "w1", "L2", Now + Minute, overlap: 3, Minute);

        Assert.Equal(LeaseRefusal.WorkerHadTask, decision.Refusal);
        Assert.Equal(ErrorKind.None, Lifecycle.Lease(task, "w2", "L3", Now + Minute, overlap: 3, Minute).Error);
    }

    [Fact]
    public void Lease_UnlimitedOverlap_NeverRunsOutOfSlots()
    {
        var task = NewTask();
        for (var i = 0; i < 50; i++)
        {
            task = Leased(task, $"w{i}", $"L{i}", overlap: null);
        }

        Assert.Equal(50, task.Leases.Count);
    }

    [Fact]
    public void Submit_TheOverlapthSubmission_CompletesTheTask()
    {
        var task = Leased(Leased(NewTask(), "w1", "L1", overlap: 2), "w2", "L2", overlap: 2);

        var first = Lifecycle.Submit(task, "L1", "w1", "\"a\"", 0.05m, [], Now, overlap: 2, maxAttempts: 10);
        task = Stored(task, first.Change!);
        var second = Lifecycle.Submit(task, "L2", "w2", "\"b\"", 0.05m, [], Now, overlap: 2, maxAttempts: 10);

        Assert.False(first.Change!.Completes);
        Assert.True(second.Change!.Completes);
        Assert.Equal(TaskState.Completed, second.Change.State);
        Assert.Equal(0.05m, second.Change.NewSubmission!.Reward);
    }

    [Fact]
    public void Submit_Twice_SecondIsLeaseNotActiveAndStoresNothing()
    {
        var task = Leased(NewTask(), "w1", "L1", overlap: 3);
        task = Stored(task, Lifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, overlap: 3, maxAttempts: 10).Change!);

        var again = Lifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, overlap: 3, maxAttempts: 10);

        Assert.Null(again.Change);
        Assert.Equal(ErrorKind.LeaseNotActive, again.Error);
    }

    [Fact]
    public void Submit_AfterDeadlineBeforeTimer_ExpiresTheLeaseAndAnswersLeaseExpired()
    {
        var task = Leased(NewTask(), "w1", "L1");

        var decision = Lifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now + Minute, overlap: 1, maxAttempts: 10);

        Assert.Equal(ErrorKind.LeaseExpired, decision.Error);
        Assert.Equal(LeaseState.Expired, decision.Change!.UpdatedLeases.Single().State);
        Assert.Equal(1, decision.Change.FailedAttempts);
        Assert.Null(decision.Change.NewSubmission);
    }

    [Fact]
    public void Submit_GoldenTask_ScoresResultIgnoringKeyOrderAndWhitespace()
    {
        var task = Leased(NewTask(golden: """{"label":"cat","box":[1,2]}"""), "w1", "L1");

        var right = Lifecycle.Submit(task, "L1", "w1", """{ "box": [1, 2], "label": "cat" }""", 0m, [], Now, 1, 10);
        var wrong = Lifecycle.Submit(task, "L1", "w1", """{"label":"dog","box":[1,2]}""", 0m, [], Now, 1, 10);

        Assert.True(right.Change!.NewSubmission!.Correct);
        Assert.False(wrong.Change!.NewSubmission!.Correct);
    }

    [Fact]
    public void Submit_SomeoneElsesLease_IsNotFound()
    {
        var task = Leased(NewTask(), "w1", "L1");

        Assert.Equal(ErrorKind.NotFound, Lifecycle.Submit(task, "L1", "w2", "1", 0m, [], Now, 1, 10).Error);
        Assert.Equal(ErrorKind.NotFound, Lifecycle.Heartbeat(task, "nope", "w1", Now, Minute, 10).Error);
    }

    [Fact]
    public void Heartbeat_ExtendsFromNow()
    {
        var task = Leased(NewTask(), "w1", "L1");

        var decision = Lifecycle.Heartbeat(task, "L1", "w1", Now + TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(90), 10);

        Assert.Equal(Now + TimeSpan.FromSeconds(120), decision.Change!.UpdatedLeases.Single().ExpiresAt);
    }

    [Fact]
    public void Release_AtMaxAttempts_DeadLettersAndReleasesTheOtherLeasesWithoutCountingThem()
    {
        var task = Leased(Leased(NewTask(), "w1", "L1", overlap: 2), "w2", "L2", overlap: 2);
        task = Stored(task, Lifecycle.Release(task, "L1", "w1", Now, maxAttempts: 2).Change!);
        Assert.Equal(TaskState.Open, task.State);

        task = Leased(task, "w3", "L3", overlap: 2);
        var decision = Lifecycle.Release(task, "L3", "w3", Now, maxAttempts: 2);

        Assert.Equal(TaskState.DeadLettered, decision.Change!.State);
        Assert.Equal(2, decision.Change.FailedAttempts);
        Assert.Equal([("L3", LeaseState.Released), ("L2", LeaseState.Released)], decision.Change.UpdatedLeases.Select(l => (l.LeaseId, l.State)));
    }

    [Fact]
    public void ExpireDue_BeforeDeadline_ChangesNothing()
    {
        var task = Leased(NewTask(), "w1", "L1");

        Assert.Null(Lifecycle.ExpireDue(task, Now + Minute - TimeSpan.FromMilliseconds(1), 10));
        Assert.NotNull(Lifecycle.ExpireDue(task, Now + Minute, 10));
    }

    [Fact]
    public void Retry_OnlyFromDeadLetter_ResetsAttempts()
    {
        var task = Leased(NewTask(), "w1", "L1");
        Assert.Equal(ErrorKind.Conflict, Lifecycle.Retry(task).Error);

        task = Stored(task, Lifecycle.ExpireDue(task, Now + Minute, maxAttempts: 1)!);
        Assert.Equal(TaskState.DeadLettered, task.State);

        var retried = Stored(task, Lifecycle.Retry(task).Change!);
        Assert.Equal((TaskState.Open, 0), (retried.State, retried.FailedAttempts));
        Assert.Equal(LeaseRefusal.WorkerHadTask, Lifecycle.Lease(retried, "w1", "L9", Now, 1, Minute).Refusal);
    }

    [Fact]
    public void Snapshot_CountsSlotsAndWorkers()
    {
        var task = Leased(Leased(NewTask(), "w1", "L1", overlap: 3), "w2", "L2", overlap: 3);
        task = Stored(task, Lifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, 3, 10).Change!);

        var snapshot = TaskSnapshots.Of(task, overlap: 3);

        Assert.Equal((1, 1, 1), (snapshot.ActiveLeases, snapshot.Submissions, snapshot.FreeSlots));
        Assert.Equal(["w1", "w2"], snapshot.Workers.ToArray());
        Assert.Equal(Now + Minute, snapshot.NextExpiry);
    }

    [Fact]
    public void Submit_WithReview_StoresPendingThatHoldsItsSlotAndDoesNotComplete()
    {
        var task = Leased(NewTask(), "w1", "L1", overlap: 1);

        var decision = Lifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, overlap: 1, maxAttempts: 10, reviewed: true);
        task = Stored(task, decision.Change!);

        Assert.False(decision.Change!.Completes);
        Assert.Equal(TaskState.Open, task.State);
        Assert.Equal(SubmissionState.Pending, task.Submissions.Single().State);
        Assert.Null(task.Submissions.Single().DecidedAt);
        Assert.Equal(LeaseRefusal.NoFreeSlot, Lifecycle.Lease(task, "w2", "L2", Now, 1, Minute).Refusal);
        Assert.Equal(0, TaskSnapshots.Of(task, 1).FreeSlots);
        Assert.Equal(Now, TaskSnapshots.Of(task, 1).PendingSince);
    }

    [Fact]
    public void Submit_WithoutReview_IsAcceptedWhenStored()
    {
        var task = Leased(NewTask(), "w1", "L1", overlap: 1);

        var submission = Lifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, overlap: 1, maxAttempts: 10).Change!.NewSubmission!;

        Assert.Equal((SubmissionState.Accepted, (DateTimeOffset?)Now, (ReviewView?)null), (submission.State, submission.DecidedAt, submission.Review));
    }

    [Fact]
    public void Review_AcceptingTheOverlapthCompletes_AndTheSameVerdictAgainChangesNothing()
    {
        var task = Pending(Pending(NewTask(), "w1", "L1", overlap: 2), "w2", "L2", overlap: 2);

        var first = Lifecycle.Review(task, "w1", ReviewVerdict.Accept, Now, overlap: 2, maxAttempts: 10);
        task = Stored(task, first.Change!);
        var second = Lifecycle.Review(task, "w2", ReviewVerdict.Accept, Now, overlap: 2, maxAttempts: 10);
        task = Stored(task, second.Change!);

        Assert.False(first.Change!.Completes);
        Assert.True(second.Change!.Completes);
        Assert.Equal(TaskState.Completed, task.State);
        Assert.Same(TaskDecision.Unchanged, Lifecycle.Review(task, "w1", ReviewVerdict.Accept, Now, 2, 10));
        Assert.Equal(ErrorKind.NotReviewable, Lifecycle.Review(task, "w1", ReviewVerdict.Reject, Now, 2, 10).Error);
        Assert.Equal(ErrorKind.NotFound, Lifecycle.Review(task, "w9", ReviewVerdict.Accept, Now, 2, 10).Error);
    }

    [Fact]
    public void Review_Rejecting_FreesTheSlotForOthersOnly_AndCountsAFailedAttempt()
    {
        var task = Pending(NewTask(), "w1", "L1", overlap: 1);

        var decision = Lifecycle.Review(task, "w1", ReviewVerdict.Reject, Now, overlap: 1, maxAttempts: 10);
        task = Stored(task, decision.Change!);

        Assert.Equal(1, task.FailedAttempts);
        Assert.Equal(TaskState.Open, task.State);
        Assert.Equal(SubmissionState.Rejected, task.Submissions.Single().State);
        Assert.Equal((ReviewVerdict.Reject, ReviewerKind.Requester, Now), (task.Submissions.Single().Review!.Verdict, task.Submissions.Single().Review!.By, task.Submissions.Single().Review!.At));
        Assert.Equal(1, TaskSnapshots.Of(task, 1).FreeSlots);
        Assert.Equal(LeaseRefusal.WorkerHadTask, Lifecycle.Lease(task, "w1", "L9", Now, 1, Minute).Refusal);
        Assert.Equal(ErrorKind.None, Lifecycle.Lease(task, "w2", "L2", Now, 1, Minute).Error);
        Assert.Same(TaskDecision.Unchanged, Lifecycle.Review(task, "w1", ReviewVerdict.Reject, Now, 1, 10));
        Assert.Equal(ErrorKind.NotReviewable, Lifecycle.Review(task, "w1", ReviewVerdict.Accept, Now, 1, 10).Error);
    }

    [Fact]
    public void Review_RejectingAtMaxAttempts_DeadLettersAndReleasesTheActiveLeases()
    {
        var task = Leased(Pending(NewTask(), "w1", "L1", overlap: 2), "w2", "L2", overlap: 2);

        var decision = Lifecycle.Review(task, "w1", ReviewVerdict.Reject, Now, overlap: 2, maxAttempts: 1);

        Assert.Equal(TaskState.DeadLettered, decision.Change!.State);
        Assert.Equal([("L2", LeaseState.Released)], decision.Change.UpdatedLeases.Select(l => (l.LeaseId, l.State)));
    }

    [Fact]
    public void AutoAccept_AcceptsOnlyWhatWasPendingLongEnough()
    {
        var task = Pending(NewTask(), "w1", "L1", overlap: 1);
        var after = TimeSpan.FromSeconds(30);
        var command = new TaskCommand.AutoAccept(after);

        Assert.Same(TaskDecision.Unchanged, TaskLifecycle.Decide(task, command, new TaskContext(Now + after - TimeSpan.FromMilliseconds(1), 1, 10)));
        var decision = TaskLifecycle.Decide(task, command, new TaskContext(Now + after, 1, 10));

        Assert.True(decision.Change!.Completes);
        Assert.Equal((SubmissionState.Accepted, ReviewerKind.Auto), (decision.Change.DecidedSubmission!.State, decision.Change.DecidedSubmission.Review!.By));
    }

    private static TaskRecord Pending(TaskRecord task, string workerId, string leaseId, int overlap)
    {
        task = Leased(task, workerId, leaseId, overlap);
        return Stored(task, Lifecycle.Submit(task, leaseId, workerId, "1", 0m, [], Now, overlap, 10, reviewed: true).Change!);
    }

    private static TaskRecord NewTask(string? golden = null) =>
        new("t1", 0, 1, TaskState.Open, 0, 1, "{}", golden, 0, TaskLeases.Empty, TaskSubmissions.Empty);

    private static TaskRecord Leased(TaskRecord task, string workerId, string leaseId, int? overlap = 1) =>
        Stored(task, Lifecycle.Lease(task, workerId, leaseId, Now, overlap, Minute).Change!);

    private static TaskRecord Stored(TaskRecord task, TaskChange change) => TaskLifecycle.Apply(task, change, task.Version + 1);
}
