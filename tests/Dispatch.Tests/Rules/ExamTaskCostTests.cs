using System.Collections.Immutable;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Tasks;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Rules;

/// <summary>
/// An exam task is leased and answered once by every worker who takes the exam. One more worker must cost the task
/// and its shard the same whether ten or a hundred thousand came before. Cost is counted in bytes allocated, which,
/// unlike time, a test can measure exactly: a record copied whole on each change allocates in proportion to it.
/// </summary>
public sealed class ExamTaskCostTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TaskContext Exam = new(Now, Overlap: null, MaxAttempts: 10);

    [Fact]
    public void OneMoreWorker_CostsTheTaskTheSame_WithTenOrAHundredThousandBefore()
    {
        var few = AnsweredBy(10);
        var many = AnsweredBy(100_000);
        OneMoreWorker(few);
        OneMoreWorker(many);

        var costWithFew = Cheapest(() => OneMoreWorker(few));
        var costWithMany = Cheapest(() => OneMoreWorker(many));

        // An O(log n) structure allocates a few more tree nodes for 10,000 times as many workers; a copy of the
        // 100,000 leases alone would be 800 KB.
        Assert.True(costWithMany < 2 * costWithFew + 4_096, $"one more worker allocated {costWithMany} bytes after 100,000 workers, {costWithFew} after 10");
    }

    [Fact]
    public void OneMoreWorker_CostsTheShardTheSame_WithTenOrAHundredThousandBefore()
    {
        var (fewQueue, fewNews) = ShardKnowing(10);
        var (manyQueue, manyNews) = ShardKnowing(100_000);

        var costWithFew = Cheapest(() => Assert.True(fewQueue.Apply(fewNews())));
        var costWithMany = Cheapest(() => Assert.True(manyQueue.Apply(manyNews())));

        Assert.True(costWithMany < 2 * costWithFew + 4_096, $"the shard allocated {costWithMany} bytes for news of one worker after 100,000, {costWithFew} after 10");
        Assert.Null(manyQueue.Reserve("w-42"));
        Assert.NotNull(manyQueue.Peek("w-new"));
    }

    [Fact]
    public void NewsOfWhoJoined_AddsToWhoTheShardKnew()
    {
        var queue = new TaskQueue();
        queue.Apply(Snapshot(version: 3, ["w1", "w2"]));
        Assert.True(queue.Apply(Snapshot(version: 5, ["w3"]) with { JoinedSince = 3 }));

        Assert.Null(queue.Reserve("w1"));
        Assert.Null(queue.Reserve("w3"));
        Assert.Equal("t", queue.Reserve("w4")!.TaskId);
    }

    [Fact]
    public void NewsOfWhoJoinedSinceAVersionTheShardMissed_IsRefused_AndChangesNothing()
    {
        var queue = new TaskQueue();
        queue.Apply(Snapshot(version: 3, ["w1"]) with { ActiveLeases = 1 });

        Assert.False(queue.Apply(Snapshot(version: 6, ["w3"]) with { JoinedSince = 4, Submissions = 3 }));
        Assert.Equal((1L, 0L), (queue.Counts.ActiveLeases, queue.Counts.Submissions));

        // What storage says is whole, so it is taken in.
        Assert.True(queue.Apply(Snapshot(version: 6, ["w1", "w2", "w3"]) with { Submissions = 3 }));
        Assert.Null(queue.Reserve("w2"));
        Assert.Equal(3L, queue.Counts.Submissions);
    }

    [Fact]
    public void NewsOfWhoJoined_OfATaskTheShardDoesNotHold_IsRefused()
    {
        var queue = new TaskQueue();
        Assert.False(queue.Apply(Snapshot(version: 2, ["w1"]) with { JoinedSince = 1 }));
        Assert.Null(queue.Peek("w9"));
    }

    [Fact]
    public void SnapshotForTheShard_NamesOnlyWhoJoined_WhenToldWhen()
    {
        var task = AnsweredBy(5);
        var whole = TaskSnapshots.Of(task, overlap: null);
        var news = TaskSnapshots.Of(task, overlap: null, joined: new JoinedSince(4, ["w-4"], []));

        Assert.Equal(["w-0", "w-1", "w-2", "w-3", "w-4"], whole.Workers.AsEnumerable());
        Assert.Null(whole.JoinedSince);
        Assert.Equal(["w-4"], news.Workers.AsEnumerable());
        Assert.Equal(4, news.JoinedSince);
        Assert.Equal((whole.Submissions, whole.FreeSlots, whole.ActiveLeases), (news.Submissions, news.FreeSlots, news.ActiveLeases));
    }

    /// <summary>A worker leases the task and answers it: the decisions, the records after them, and the shard's news.</summary>
    private static void OneMoreWorker(TaskRecord task)
    {
        var lease = TaskLifecycle.Decide(task, new TaskCommand.Lease("w-new", "L-new", TimeSpan.FromMinutes(5)), Exam).Change!;
        var leased = TaskLifecycle.Apply(task, lease, task.Version + 1);
        var submit = TaskLifecycle.Decide(leased, new TaskCommand.Submit("L-new", "w-new", "1", 0m, [], Reviewed: false), Exam).Change!;
        var answered = TaskLifecycle.Apply(leased, submit, leased.Version + 1);
        _ = TaskSnapshots.Of(answered, overlap: null, joined: new JoinedSince(task.Version, ["w-new"], []));
    }

    private static TaskRecord AnsweredBy(int workers)
    {
        var leases = Enumerable.Range(0, workers)
            .Select(i => new LeaseRecord($"L-{i}", $"w-{i}", LeaseState.Submitted, Now, Now.AddMinutes(5)))
            .ToList();
        var submissions = Enumerable.Range(0, workers)
            .Select(i => new SubmissionRecord($"w-{i}", $"L-{i}", "1", Now, true, 0m, [], SubmissionState.Accepted, Now))
            .ToList();
        return new TaskRecord("t", 0, 2L * workers + 1, TaskState.Open, 0, 1, "{}", "1", 0, [.. leases], [.. submissions]);
    }

    private static (TaskQueue Queue, Func<TaskSnapshot> News) ShardKnowing(int workers)
    {
        var queue = new TaskQueue();
        var known = Snapshot(version: 1, [.. Enumerable.Range(0, workers).Select(i => $"w-{i}")]);
        queue.Apply(known);
        var version = 1L;
        return (queue, () =>
        {
            version++;
            return Snapshot(version, [$"w-joined-{version}"]) with { JoinedSince = version - 1 };
        });
    }

    private static TaskSnapshot Snapshot(long version, ImmutableArray<string> workers) =>
        new("t", version, TaskState.Open, 0, 1, 0, 0, int.MaxValue, workers, null);

    /// <summary>The fewest bytes the action allocated over a few runs (the first runs also pay for the JIT).</summary>
    private static long Cheapest(Action action)
    {
        var cheapest = long.MaxValue;
        for (var run = 0; run < 20; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            action();
            cheapest = Math.Min(cheapest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return cheapest;
    }
}
