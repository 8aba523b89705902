using Dispatch.Grains.Storage;
using Dispatch.Grains.Tasks;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Rules;

public sealed class TaskQueueTests
{
    [Fact]
    public void Reserve_ServesHigherPriorityFirstThenOldest()
    {
        var queue = new TaskQueue();
        queue.Apply(Open("old-low", priority: 0, sequence: 1));
        queue.Apply(Open("new-high", priority: 5, sequence: 3));
        queue.Apply(Open("old-high", priority: 5, sequence: 2));

        Assert.Equal(["old-high", "new-high", "old-low"], Drain(queue, "w"));
    }

    [Fact]
    public void Reserve_SkipsTasksTheWorkerHadAndHeldSlots()
    {
        var queue = new TaskQueue();
        queue.Apply(Open("a", sequence: 1) with { Workers = ["w1"], FreeSlots = 2 });
        queue.Apply(Open("b", sequence: 2));

        Assert.Equal("b", queue.Reserve("w1")!.Snapshot.TaskId);
        Assert.Equal("a", queue.Reserve("w2")!.Snapshot.TaskId);
        Assert.Equal("a", queue.Reserve("w3")!.Snapshot.TaskId);
        Assert.Null(queue.Reserve("w4"));
    }

    [Fact]
    public void Apply_KeepsCountsExactAndIgnoresOlderSnapshots()
    {
        var queue = new TaskQueue();
        queue.Apply(Open("a", sequence: 1) with { FreeSlots = 2 });
        queue.Apply(Open("b", sequence: 2));
        var leased = Open("a", sequence: 1) with { Version = 2, ActiveLeases = 1, FreeSlots = 1, Workers = ["w1"] };
        var completed = leased with { Version = 4, State = TaskState.Completed, ActiveLeases = 0, Submissions = 2, FreeSlots = 0 };

        queue.Apply(leased);
        queue.Apply(completed);
        queue.Apply(leased with { Version = 3 });

        Assert.Equal(new ProjectCounts(Open: 1, Completed: 1, DeadLettered: 0, ActiveLeases: 0, Submissions: 2), queue.Counts);
        Assert.Equal(["b"], Drain(queue, "w9"));
    }

    [Fact]
    public void Apply_DeadLetterAndRetry_MoveTheTaskOutOfAndBackIntoTheQueue()
    {
        var queue = new TaskQueue();
        queue.Apply(Open("a", sequence: 1));
        queue.Apply(Open("a", sequence: 1) with { Version = 2, State = TaskState.DeadLettered, FreeSlots = 0 });
        Assert.Equal((0L, 1L), (queue.Counts.Open, queue.Counts.DeadLettered));
        Assert.Null(queue.Peek("w"));

        queue.Apply(Open("a", sequence: 1) with { Version = 3 });

        Assert.Equal((1L, 0L), (queue.Counts.Open, queue.Counts.DeadLettered));
        Assert.Equal("a", queue.Peek("w")!.Snapshot.TaskId);
    }

    [Fact]
    public void Load_TakesCountsOfCompletedTasksItDoesNotKeep()
    {
        var queue = new TaskQueue();
        queue.Load(new ShardSnapshot([Open("a", sequence: 7)], new ProjectCounts(1, 40, 2, 0, 120)));

        Assert.Equal(new ProjectCounts(1, 40, 2, 0, 120), queue.Counts);
        Assert.Equal(1, queue.ReadyCount);
    }

    [Fact]
    public void OverdueTasks_ListsOnlyTasksWithAnActiveLeasePastTheCutoff()
    {
        var now = DateTimeOffset.UtcNow;
        var queue = new TaskQueue();
        queue.Apply(Open("late", sequence: 1) with { ActiveLeases = 1, NextExpiry = now.AddSeconds(-5) });
        queue.Apply(Open("fine", sequence: 2) with { ActiveLeases = 1, NextExpiry = now.AddSeconds(30) });
        queue.Apply(Open("idle", sequence: 3));

        Assert.Equal(["late"], queue.OverdueTasks(now));
    }

    private static TaskSnapshot Open(string id, int priority = 0, long sequence = 0) =>
        new(id, 1, TaskState.Open, priority, sequence, 0, 0, 1, [], null);

    private static List<string> Drain(TaskQueue queue, string workerId)
    {
        var taken = new List<string>();
        while (queue.Reserve(workerId) is { } entry)
        {
            taken.Add(entry.Snapshot.TaskId);
            queue.Apply(entry.Snapshot with { Version = entry.Snapshot.Version + 1, FreeSlots = 0, ActiveLeases = 1 });
            queue.Unreserve(entry);
        }

        return taken;
    }
}
