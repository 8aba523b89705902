using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Grains;

/// <summary>
/// A lease ends at its deadline even when the moment is bad: seen in a fault run, a task whose expiry ran while its
/// project grain's silo was being lost kept the lease active for good (its one-shot timer failed, and the shard's
/// poke of an overdue task found the task awake and did nothing).
/// </summary>
public sealed class LeaseExpiryGrainTests(LostNewsFixture fixture) : IClassFixture<LostNewsFixture>
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task Lease_WhoseExpiryFoundTheProjectUnreachable_StillExpiresOnceItAnswers()
    {
        var project = $"p-{Guid.NewGuid():N}";
        var settings = new ProjectSettings(project, null, null, [], 1, LeaseSeconds: 2, MaxAttempts: 10, 0m, 0, null, null);
        Assert.True((await Grains.GetGrain<IProjectGrain>(project).CreateAsync(null, settings)).IsSuccess);
        Assert.True((await Grains.GetGrain<IProjectGrain>(project).ImportAsync([new NewTask("t0", """{"n":0}""", 0, null)])).IsSuccess);
        var worker = await GrainCrowd.NewWorkerAsync(Grains);
        var lease = (await worker.ClaimAsync(project)).Value!;

        // The deadline passes while the project does not answer; a little later it answers again.
        LostNews.Lose(project, NewsLoss.ProjectUnreachable);
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        LostNews.Stop(project);

        await GrainCrowd.CountsBecomeAsync(Grains, project, new ProjectCounts(Open: 1, Completed: 0, DeadLettered: 0, ActiveLeases: 0, Submissions: 0), TimeSpan.FromSeconds(10));
        var task = await Grains.GetGrain<ITaskGrain>(Keys.Task(project, lease.TaskId)).GetAsync();
        Assert.Equal(LeaseState.Expired, task!.Leases.Single().State);
    }
}
