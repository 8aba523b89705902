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
        var decision = TaskLifecycle.Lease(NewTask(), "w1", "L1", Now, overlap: 1, Minute);

        Assert.Equal(ErrorKind.None, decision.Error);
        Assert.Equal(new LeaseRecord("L1", "w1", LeaseState.Active, Now, Now + Minute), decision.Change!.NewLease);
    }

    [Fact]
    public void Lease_WhenOverlapReached_RefusesNoFreeSlot()
    {
        var task = Leased(NewTask(), "w1", "L1");

        var decision = TaskLifecycle.Lease(task, "w2", "L2", Now, overlap: 1, Minute);

        Assert.Null(decision.Change);
        Assert.Equal(LeaseRefusal.NoFreeSlot, decision.Refusal);
    }

    [Fact]
    public void Lease_SameWorkerAfterItsLeaseExpired_IsRefusedForever()
    {
        var task = Leased(NewTask(), "w1", "L1");
        task = Stored(task, TaskLifecycle.ExpireDue(task, Now + Minute, maxAttempts: 10)!);

        var decision = TaskLifecycle.Lease(task, "w1", "L2", Now + Minute, overlap: 3, Minute);

        Assert.Equal(LeaseRefusal.WorkerHadTask, decision.Refusal);
        Assert.Equal(ErrorKind.None, TaskLifecycle.Lease(task, "w2", "L3", Now + Minute, overlap: 3, Minute).Error);
    }

    [Fact]
    public void Lease_UnlimitedOverlap_NeverRunsOutOfSlots()
    {
        var task = NewTask();
        for (var i = 0; i < 50; i++)
        {
            task = Leased(task, $"w{i}", $"L{i}", overlap: null);
        }

        Assert.Equal(50, task.Leases.Length);
    }

    [Fact]
    public void Submit_TheOverlapthSubmission_CompletesTheTask()
    {
        var task = Leased(Leased(NewTask(), "w1", "L1", overlap: 2), "w2", "L2", overlap: 2);

        var first = TaskLifecycle.Submit(task, "L1", "w1", "\"a\"", 0.05m, [], Now, overlap: 2, maxAttempts: 10);
        task = Stored(task, first.Change!);
        var second = TaskLifecycle.Submit(task, "L2", "w2", "\"b\"", 0.05m, [], Now, overlap: 2, maxAttempts: 10);

        Assert.False(first.Change!.Completes);
        Assert.True(second.Change!.Completes);
        Assert.Equal(TaskState.Completed, second.Change.State);
        Assert.Equal(0.05m, second.Change.NewSubmission!.Reward);
    }

    [Fact]
    public void Submit_Twice_SecondIsLeaseNotActiveAndStoresNothing()
    {
        var task = Leased(NewTask(), "w1", "L1", overlap: 3);
        task = Stored(task, TaskLifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, overlap: 3, maxAttempts: 10).Change!);

        var again = TaskLifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, overlap: 3, maxAttempts: 10);

        Assert.Null(again.Change);
        Assert.Equal(ErrorKind.LeaseNotActive, again.Error);
    }

    [Fact]
    public void Submit_AfterDeadlineBeforeTimer_ExpiresTheLeaseAndAnswersLeaseExpired()
    {
        var task = Leased(NewTask(), "w1", "L1");

        var decision = TaskLifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now + Minute, overlap: 1, maxAttempts: 10);

        Assert.Equal(ErrorKind.LeaseExpired, decision.Error);
        Assert.Equal(LeaseState.Expired, decision.Change!.UpdatedLeases.Single().State);
        Assert.Equal(1, decision.Change.FailedAttempts);
        Assert.Null(decision.Change.NewSubmission);
    }

    [Fact]
    public void Submit_GoldenTask_ScoresResultIgnoringKeyOrderAndWhitespace()
    {
        var task = Leased(NewTask(golden: """{"label":"cat","box":[1,2]}"""), "w1", "L1");

        var right = TaskLifecycle.Submit(task, "L1", "w1", """{ "box": [1, 2], "label": "cat" }""", 0m, [], Now, 1, 10);
        var wrong = TaskLifecycle.Submit(task, "L1", "w1", """{"label":"dog","box":[1,2]}""", 0m, [], Now, 1, 10);

        Assert.True(right.Change!.NewSubmission!.Correct);
        Assert.False(wrong.Change!.NewSubmission!.Correct);
    }

    [Fact]
    public void Submit_SomeoneElsesLease_IsNotFound()
    {
        var task = Leased(NewTask(), "w1", "L1");

        Assert.Equal(ErrorKind.NotFound, TaskLifecycle.Submit(task, "L1", "w2", "1", 0m, [], Now, 1, 10).Error);
        Assert.Equal(ErrorKind.NotFound, TaskLifecycle.Heartbeat(task, "nope", "w1", Now, Minute, 10).Error);
    }

    [Fact]
    public void Heartbeat_ExtendsFromNow()
    {
        var task = Leased(NewTask(), "w1", "L1");

        var decision = TaskLifecycle.Heartbeat(task, "L1", "w1", Now + TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(90), 10);

        Assert.Equal(Now + TimeSpan.FromSeconds(120), decision.Change!.UpdatedLeases.Single().ExpiresAt);
    }

    [Fact]
    public void Release_AtMaxAttempts_DeadLettersAndReleasesTheOtherLeasesWithoutCountingThem()
    {
        var task = Leased(Leased(NewTask(), "w1", "L1", overlap: 2), "w2", "L2", overlap: 2);
        task = Stored(task, TaskLifecycle.Release(task, "L1", "w1", Now, maxAttempts: 2).Change!);
        Assert.Equal(TaskState.Open, task.State);

        task = Leased(task, "w3", "L3", overlap: 2);
        var decision = TaskLifecycle.Release(task, "L3", "w3", Now, maxAttempts: 2);

        Assert.Equal(TaskState.DeadLettered, decision.Change!.State);
        Assert.Equal(2, decision.Change.FailedAttempts);
        Assert.Equal([("L3", LeaseState.Released), ("L2", LeaseState.Released)], decision.Change.UpdatedLeases.Select(l => (l.LeaseId, l.State)));
    }

    [Fact]
    public void ExpireDue_BeforeDeadline_ChangesNothing()
    {
        var task = Leased(NewTask(), "w1", "L1");

        Assert.Null(TaskLifecycle.ExpireDue(task, Now + Minute - TimeSpan.FromMilliseconds(1), 10));
        Assert.NotNull(TaskLifecycle.ExpireDue(task, Now + Minute, 10));
    }

    [Fact]
    public void Retry_OnlyFromDeadLetter_ResetsAttempts()
    {
        var task = Leased(NewTask(), "w1", "L1");
        Assert.Equal(ErrorKind.Conflict, TaskLifecycle.Retry(task).Error);

        task = Stored(task, TaskLifecycle.ExpireDue(task, Now + Minute, maxAttempts: 1)!);
        Assert.Equal(TaskState.DeadLettered, task.State);

        var retried = Stored(task, TaskLifecycle.Retry(task).Change!);
        Assert.Equal((TaskState.Open, 0), (retried.State, retried.FailedAttempts));
        Assert.Equal(LeaseRefusal.WorkerHadTask, TaskLifecycle.Lease(retried, "w1", "L9", Now, 1, Minute).Refusal);
    }

    [Fact]
    public void Snapshot_CountsSlotsAndWorkers()
    {
        var task = Leased(Leased(NewTask(), "w1", "L1", overlap: 3), "w2", "L2", overlap: 3);
        task = Stored(task, TaskLifecycle.Submit(task, "L1", "w1", "1", 0m, [], Now, 3, 10).Change!);

        var snapshot = TaskSnapshots.Of(task, overlap: 3);

        Assert.Equal((1, 1, 1), (snapshot.ActiveLeases, snapshot.Submissions, snapshot.FreeSlots));
        Assert.Equal(["w1", "w2"], snapshot.Workers.ToArray());
        Assert.Equal(Now + Minute, snapshot.NextExpiry);
    }

    private static TaskRecord NewTask(string? golden = null) =>
        new("t1", 0, 1, TaskState.Open, 0, 1, "{}", golden, 0, ImmutableArray<LeaseRecord>.Empty, ImmutableArray<SubmissionRecord>.Empty);

    private static TaskRecord Leased(TaskRecord task, string workerId, string leaseId, int? overlap = 1) =>
        Stored(task, TaskLifecycle.Lease(task, workerId, leaseId, Now, overlap, Minute).Change!);

    private static TaskRecord Stored(TaskRecord task, TaskChange change) => TaskLifecycle.Apply(task, change, task.Version + 1);
}
