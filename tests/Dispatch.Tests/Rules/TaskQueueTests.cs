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

        Assert.Equal("b", queue.Reserve("w1")!.TaskId);
        Assert.Equal("a", queue.Reserve("w2")!.TaskId);
        Assert.Equal("a", queue.Reserve("w3")!.TaskId);
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
        Assert.Equal("a", queue.Peek("w")!.TaskId);
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

    [Fact]
    public void Load_OffersTasksInClaimOrder_WhateverOrderStorageListsThem()
    {
        var tasks = Enumerable.Range(0, 3_000).Select(i => Open($"t{i:0000}", priority: i % 3, sequence: i / 6)).ToList();
        new Random(5).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tasks));
        var queue = new TaskQueue();

        queue.Load(new ShardSnapshot(tasks, ProjectCounts.Zero));

        Assert.Equal(InClaimOrder(tasks), Drain(queue, "w"));
    }

    [Fact]
    public void UnclaimedFrom_ListsTheReadyTasksFromTheEntryOn_InClaimOrder_ButThoseOtherClaimsHold()
    {
        var queue = new TaskQueue();
        queue.Apply(Open("low", priority: 0, sequence: 1));
        queue.Apply(Open("high", priority: 2, sequence: 4));
        queue.Apply(Open("mid-b", priority: 1, sequence: 3));
        queue.Apply(Open("mid-a", priority: 1, sequence: 2));
        queue.Apply(Open("gone", priority: 1, sequence: 5) with { Version = 2, FreeSlots = 0, ActiveLeases = 1 });
        queue.Reserve("w");

        var second = queue.Reserve("w")!;
        Assert.Equal(["mid-a", "mid-b", "low"], queue.UnclaimedFrom(second).Select(t => t.TaskId));

        queue.Reserve("x");
        Assert.Equal(["mid-a", "low"], queue.UnclaimedFrom(second).Select(t => t.TaskId));
        Assert.Equal(1, queue.ClaimsOn(second));
    }

    [Fact]
    public void Entry_StaysReadableWhileReserved_WhenItsTaskCompletesMeanwhile()
    {
        var queue = new TaskQueue();
        queue.Apply(Open("a", sequence: 1));
        var entry = queue.Reserve("w1")!;

        queue.Apply(Open("a", sequence: 1) with { Version = 2, State = TaskState.Completed, FreeSlots = 0, Submissions = 1 });
        queue.Apply(Open("b", sequence: 2));

        Assert.Equal(("a", TaskState.Completed, 2L), (entry.TaskId, entry.Task.State, entry.Task.Version));
        Assert.Empty(queue.UnclaimedFrom(entry));
        queue.Unreserve(entry);
        queue.Drop(entry);
        queue.Apply(Open("c", sequence: 3));
        Assert.True(queue.Knows("a"));
        Assert.Equal(2, queue.ReadyCount);
        Assert.Equal(["b", "c"], Drain(queue, "w2"));
        Assert.Equal(new ProjectCounts(Open: 2, Completed: 1, DeadLettered: 0, ActiveLeases: 2, Submissions: 1), queue.Counts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ClaimOrder_IsPriorityThenSequenceThenId_ThroughImportsLeasesExpiriesRetriesAndCompletions(int seed)
    {
        var random = new Random(seed);
        var queue = new TaskQueue();
        var known = new Dictionary<string, TaskSnapshot>(StringComparer.Ordinal);
        var ids = new List<string>();
        long sequence = 0;
        for (var step = 0; step < 30_000; step++)
        {
            var roll = random.Next(100);
            if (roll < 45 || ids.Count == 0)
            {
                // Mostly in sequence order; now and then late, even sharing a sequence, so that the id decides.
                var task = Open($"t{step:00000}-{random.Next(1000)}", priority: random.Next(3), sequence: random.Next(8) == 0 ? sequence - random.Next(3_000) : ++sequence);
                known[task.TaskId] = task;
                ids.Add(task.TaskId);
                queue.Apply(task);
                continue;
            }

            var index = random.Next(ids.Count);
            var old = known[ids[index]];
            var next = roll switch
            {
                < 65 => old with { FreeSlots = 0, ActiveLeases = old.ActiveLeases + 1, Workers = old.Workers.Add($"w{step}") },
                < 75 => old with { State = TaskState.Open, FreeSlots = 1, ActiveLeases = 0 },
                < 80 => old with { State = TaskState.DeadLettered, FreeSlots = 0, ActiveLeases = 0 },
                _ => old with { State = TaskState.Completed, FreeSlots = 0, ActiveLeases = 0, Submissions = old.Submissions + 1 },
            };
            var isNews = roll < 97;
            queue.Apply(next with { Version = isNews ? old.Version + 1 : old.Version });
            if (!isNews)
            {
                continue;
            }

            next = next with { Version = old.Version + 1 };

            known[next.TaskId] = next;
            if (next.State == TaskState.Completed)
            {
                known.Remove(next.TaskId);
                ids[index] = ids[^1];
                ids.RemoveAt(ids.Count - 1);
            }

            if (step % 500 == 0)
            {
                AssertReadyInClaimOrder(queue, known.Values);
            }
        }

        AssertReadyInClaimOrder(queue, known.Values);
        foreach (var id in ids.OrderBy(_ => random.Next()))
        {
            queue.Apply(known[id] with { Version = known[id].Version + 1, State = TaskState.Completed, FreeSlots = 0 });
            known.Remove(id);
            if (known.Count % 700 == 0)
            {
                AssertReadyInClaimOrder(queue, known.Values);
            }
        }

        Assert.Equal(0, queue.ReadyCount);
        Assert.Null(queue.Peek(null));
    }

    [Fact]
    public void PendingSubmissions_AreTrackedUntilDecided_AndARejectionOffersTheTaskAgain()
    {
        var since = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        var queue = new TaskQueue();
        queue.Apply(Open("a", sequence: 1) with { Version = 3, Submissions = 1, FreeSlots = 0, Workers = ["w1"], PendingSince = since });
        queue.Apply(Open("b", sequence: 2) with { Version = 3, Submissions = 1, FreeSlots = 0, Workers = ["w2"], PendingSince = since.AddSeconds(5) });

        Assert.Equal(since, queue.OldestPendingSince());
        Assert.Equal(["a"], queue.PendingSince(since.AddSeconds(1)));
        Assert.Null(queue.Reserve("w3"));

        // "a" rejected: no longer pending, its slot free again for anyone but the rejected worker.
        queue.Apply(Open("a", sequence: 1) with { Version = 4, Submissions = 1, FreeSlots = 1, Workers = ["w1"] });
        Assert.Equal(since.AddSeconds(5), queue.OldestPendingSince());
        Assert.Null(queue.Reserve("w1"));
        Assert.Equal("a", queue.Reserve("w3")!.TaskId);

        // "b" accepted and completed: nothing pending is left.
        queue.Apply(Open("b", sequence: 2) with { Version = 4, State = TaskState.Completed, Submissions = 1, FreeSlots = 0, Workers = ["w2"] });
        Assert.Null(queue.OldestPendingSince());
        Assert.Empty(queue.PendingSince(since.AddDays(1)));
    }

    private static void AssertReadyInClaimOrder(TaskQueue queue, IEnumerable<TaskSnapshot> known)
    {
        var expected = InClaimOrder(known.Where(t => t.State == TaskState.Open && t.FreeSlots > 0));
        var first = queue.Peek(null);
        Assert.Equal(expected, first is null ? [] : queue.UnclaimedFrom(first).Select(t => t.TaskId).ToList());
        Assert.Equal(expected.Count, queue.ReadyCount);
    }

    private static List<string> InClaimOrder(IEnumerable<TaskSnapshot> tasks) =>
        [.. tasks.OrderByDescending(t => t.Priority).ThenBy(t => t.Sequence).ThenBy(t => t.TaskId, StringComparer.Ordinal).Select(t => t.TaskId)];

    private static TaskSnapshot Open(string id, int priority = 0, long sequence = 0) =>
        new(id, 1, TaskState.Open, priority, sequence, 0, 0, 1, [], null);

    private static List<string> Drain(TaskQueue queue, string workerId)
    {
        var taken = new List<string>();
        while (queue.Reserve(workerId) is { } entry)
        {
            var task = entry.Task;
            taken.Add(task.TaskId);
            queue.Apply(new TaskSnapshot(task.TaskId, task.Version + 1, task.State, task.Priority, task.Sequence, 1, task.Submissions, 0, [.. task.Workers], null));
            queue.Unreserve(entry);
        }

        return taken;
    }
}
