using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Dispatch.Workers;

namespace Dispatch.Tests.Grains;

/// <summary>
/// A project's counts come from its queue shards, which learn each change from the task's news. News lost at the moment
/// a silo dies (after the task stored its change, before the shard heard) must not leave the counts wrong for good:
/// each test loses one piece of news on purpose and waits for the counts to come back to what storage holds.
/// </summary>
public sealed class ShardCountsGrainTests(LostNewsFixture fixture) : IClassFixture<LostNewsFixture>
{
    private static readonly TimeSpan Convergence = TimeSpan.FromSeconds(10);

    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task CompletedTask_WhoseNewsFailed_TellsItsShardBeforeItGoesAway()
    {
        var project = await NewProjectAsync(overlap: 1);
        await ImportAsync(project, 1);
        var worker = await NewWorkerAsync();
        var lease = (await worker.ClaimAsync(project)).Value!;

        LostNews.Lose(project, NewsLoss.FailsOnce);
        Assert.True((await worker.SubmitAsync(lease.LeaseId, "1")).IsSuccess);

        await CountsBecomeAsync(project, new ProjectCounts(Open: 0, Completed: 1, DeadLettered: 0, ActiveLeases: 0, Submissions: 1));
    }

    [Fact]
    public async Task Lease_WhoseAnswerWasLost_IsCountedOnceTheShardAsksTheTask()
    {
        var project = await NewProjectAsync(overlap: 1);
        await ImportAsync(project, 1);
        var worker = await NewWorkerAsync();

        LostNews.Lose(project, NewsLoss.LeaseAnswerLostOnce);
        var claim = await Record.ExceptionAsync(() => worker.ClaimAsync(project));
        Assert.NotNull(claim);

        await CountsBecomeAsync(project, new ProjectCounts(Open: 1, Completed: 0, DeadLettered: 0, ActiveLeases: 1, Submissions: 0));
    }

    [Fact]
    public async Task Task_ReadAgainFromStorage_TellsItsShard_EvenWhenTheCallChangesNothing()
    {
        var project = await NewProjectAsync(overlap: 1);
        await ImportAsync(project, 1);
        var worker = await NewWorkerAsync();
        var lease = (await worker.ClaimAsync(project)).Value!;

        // The submit is stored, its news vanishes, and the task's activation goes away as its silo would.
        LostNews.Lose(project, NewsLoss.Dropped);
        Assert.True((await worker.SubmitAsync(lease.LeaseId, "1")).IsSuccess);
        var task = Grains.GetGrain<ITaskGrain>(Keys.Task(project, lease.TaskId));
        await fixture.Cluster.DeactivateAsync(task);
        LostNews.Stop(project);
        Assert.Equal(new ProjectCounts(1, 0, 0, 1, 0), await CountsAsync(project));

        // A caller retrying a call whose answer it never got wakes the task up; the retry itself changes nothing.
        Assert.False((await task.HeartbeatAsync(lease.LeaseId, worker.GetPrimaryKeyString(), null)).IsSuccess);

        await CountsBecomeAsync(project, new ProjectCounts(Open: 0, Completed: 1, DeadLettered: 0, ActiveLeases: 0, Submissions: 1));
    }

    [Fact]
    public async Task ShardThatOutlivesALostSilo_AsksItsTasksInPlay_AndCountsWhatStorageHolds()
    {
        var project = await NewProjectAsync(overlap: 2);
        await ImportAsync(project, 1);
        var (first, second) = (await NewWorkerAsync(), await NewWorkerAsync());
        var a = (await first.ClaimAsync(project)).Value!;
        Assert.True((await first.SubmitAsync(a.LeaseId, "1")).IsSuccess);
        var b = (await second.ClaimAsync(project)).Value!;

        // The final submit completes the task in storage; the news of it dies (as with the task's silo), and nothing
        // else will ever wake the task: its lease ended and no claim finds it.
        LostNews.Lose(project, NewsLoss.Dropped);
        Assert.True((await second.SubmitAsync(b.LeaseId, "2")).IsSuccess);
        LostNews.Stop(project);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(new ProjectCounts(1, 0, 0, 1, 1), await CountsAsync(project));

        // A silo that held none of this project's grains joins and dies.
        var doomed = await fixture.Cluster.StartAdditionalSiloAsync();
        await fixture.Cluster.KillSiloAsync(doomed);

        await CountsBecomeAsync(project, new ProjectCounts(Open: 0, Completed: 1, DeadLettered: 0, ActiveLeases: 0, Submissions: 2), TimeSpan.FromSeconds(30));
    }

    private Task CountsBecomeAsync(string project, ProjectCounts expected, TimeSpan? within = null) =>
        GrainCrowd.CountsBecomeAsync(Grains, project, expected, within ?? Convergence);

    private Task<ProjectCounts> CountsAsync(string project) => GrainCrowd.CountsAsync(Grains, project);

    private async Task<string> NewProjectAsync(int overlap)
    {
        var id = $"p-{Guid.NewGuid():N}";
        var settings = new ProjectSettings(id, null, null, [], overlap, 600, 10, 0.5m, 0, null, null);
        Assert.True((await Grains.GetGrain<IProjectGrain>(id).CreateAsync(null, settings)).IsSuccess);
        return id;
    }

    private async Task ImportAsync(string project, int count)
    {
        var tasks = Enumerable.Range(0, count).Select(i => new NewTask($"t{i}", $$"""{"n":{{i}}}""", 0, null)).ToImmutableArray();
        Assert.True((await Grains.GetGrain<IProjectGrain>(project).ImportAsync(tasks)).IsSuccess);
    }

    private Task<IWorkerGrain> NewWorkerAsync() => GrainCrowd.NewWorkerAsync(Grains);
}
