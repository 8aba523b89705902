using Dispatch.Grains.Tasks;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Rules;

public sealed class TaskSeedWindowTests
{
    [Fact]
    public void Describes_OnlyOpenTasksThatWereNeverLeased()
    {
        Assert.True(TaskSeedWindow.Describes(Queued("a")));
        Assert.False(TaskSeedWindow.Describes(Queued("a") with { Workers = ["w"] }));
        Assert.False(TaskSeedWindow.Describes(Queued("a") with { Submissions = 1 }));
        Assert.False(TaskSeedWindow.Describes(Queued("a") with { State = TaskState.DeadLettered }));
    }

    [Fact]
    public void Take_HandsASeedOutOnce_AndOnlyAtTheVersionTheShardKnows()
    {
        var window = new TaskSeedWindow();
        window.Add(new Dictionary<string, TaskSeed> { ["a"] = Seed(version: 1), ["b"] = Seed(version: 1) });

        Assert.NotNull(window.Take(Queued("a")));
        Assert.Null(window.Take(Queued("a")));
        Assert.Null(window.Take(Queued("b") with { Version = 2 }));
        Assert.Null(window.Take(Queued("b")));
        Assert.Equal(0, window.Count);
    }

    [Fact]
    public void Wanted_IsTheNextPageOfSeedableTasksNotKeptYet_InTheOrderGiven()
    {
        var window = new TaskSeedWindow();
        window.Add(new Dictionary<string, TaskSeed> { ["t0001"] = Seed(version: 1) });
        var ready = Enumerable.Range(0, TaskSeedWindow.PageSize * 2)
            .Select(i => i == 2 ? Queued($"t{i:0000}") with { Workers = ["w"] } : Queued($"t{i:0000}"));

        var wanted = window.Wanted(ready);

        Assert.Equal(TaskSeedWindow.PageSize, wanted.Count);
        Assert.Equal(["t0000", "t0003", "t0004"], wanted.Take(3));
    }

    [Fact]
    public void Add_KeepsAFewPagesAtMost()
    {
        var window = new TaskSeedWindow();
        for (var page = 0; page < 10; page++)
        {
            window.Add(Enumerable.Range(0, TaskSeedWindow.PageSize).ToDictionary(i => $"p{page}-{i}", _ => Seed(version: 1)));
        }

        Assert.InRange(window.Count, TaskSeedWindow.PageSize, TaskSeedWindow.PageSize * 4);
    }

    private static QueuedTask Queued(string taskId) => new(taskId, 1, TaskState.Open, 0, 1, 0, []);

    private static TaskSeed Seed(long version) => new(version, 0, 0, 1, "{}", null);
}
