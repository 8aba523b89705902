using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Dispatch.Workers;

namespace Dispatch.Tests.Grains;

/// <summary>The claim path grain by grain, on a two-silo cluster: project, queue shards, tasks and workers.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ClaimPathGrainTests(GrainClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task Import_SpreadsTasksOverShards_AndCountsThemAll()
    {
        var project = await NewProjectAsync(overlap: 1);

        var summary = await ImportAsync(project, 40);

        Assert.Equal((40, 0), (summary.Created, summary.Existing));
        var info = (await Grains.GetGrain<IProjectGrain>(project).GetInfoAsync())!;
        var perShard = await Task.WhenAll(Enumerable.Range(0, info.QueueShards)
            .Select(s => Grains.GetGrain<ITaskQueueGrain>(Keys.QueueShard(project, s)).GetCountsAsync()));
        Assert.All(perShard, counts => Assert.True(counts.Open > 0, "every shard holds some of the tasks"));
        Assert.Equal(40, perShard.Sum(c => c.Open));
        Assert.Equal(40, (await Grains.GetGrain<IProjectGrain>(project).GetAsync())!.Counts.Total);
    }

    [Fact]
    public async Task Claim_ServesPriorityThenAge_AcrossAllShards()
    {
        var project = await NewProjectAsync(overlap: 1);
        var tasks = Enumerable.Range(0, 12).Select(i => new NewTask($"t{i:D2}", "{}", i % 3 == 0 ? 5 : 0, null)).ToImmutableArray();
        await Grains.GetGrain<IProjectGrain>(project).ImportAsync(tasks);
        var worker = await NewWorkerAsync(maxActiveLeases: 20);

        var order = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            order.Add((await worker.ClaimAsync(project)).Value!.TaskId);
        }

        Assert.Equal(["t00", "t03", "t06", "t09", "t01", "t02", "t04", "t05", "t07", "t08", "t10", "t11"], order);
        Assert.Null((await worker.ClaimAsync(project)).Value);
    }

    [Fact]
    public async Task Claim_WithOverlap_GivesEachTaskToDistinctWorkersOnly()
    {
        var project = await NewProjectAsync(overlap: 2);
        await ImportAsync(project, 1);
        var (first, second, third) = (await NewWorkerAsync(), await NewWorkerAsync(), await NewWorkerAsync());

        var a = (await first.ClaimAsync(project)).Value!;
        Assert.Null((await first.ClaimAsync(project)).Value);
        var b = (await second.ClaimAsync(project)).Value!;
        Assert.Null((await third.ClaimAsync(project)).Value);

        Assert.Equal(a.TaskId, b.TaskId);
        Assert.True((await first.SubmitAsync(a.LeaseId, "1")).IsSuccess);
        var done = await second.SubmitAsync(b.LeaseId, "2");
        Assert.Equal(TaskState.Completed, done.Value!.TaskState);
        Assert.Equal(new ProjectCounts(0, 1, 0, 0, 2), (await Grains.GetGrain<IProjectGrain>(project).GetAsync())!.Counts);
    }

    [Fact]
    public async Task Release_CountsAFailedAttempt_AndFreesTheSlotForOthers()
    {
        var project = await NewProjectAsync(overlap: 1, maxAttempts: 2);
        await ImportAsync(project, 1);
        var (first, second, third) = (await NewWorkerAsync(), await NewWorkerAsync(), await NewWorkerAsync());

        var lease = (await first.ClaimAsync(project)).Value!;
        Assert.True((await first.ReleaseAsync(lease.LeaseId, "no time")).IsSuccess);
        var claimAfterRelease = await second.ClaimAsync(project);
        Assert.True(claimAfterRelease.Value is not null, $"claim after release: {claimAfterRelease}");
        var again = claimAfterRelease.Value!;
        Assert.True((await second.ReleaseAsync(again.LeaseId, null)).IsSuccess);

        var task = (await Grains.GetGrain<ITaskGrain>(Keys.Task(project, lease.TaskId)).GetAsync())!;
        Assert.Equal((TaskState.DeadLettered, 2), (task.State, task.FailedAttempts));
        Assert.Null((await third.ClaimAsync(project)).Value);
        Assert.Equal(1, (await Grains.GetGrain<IProjectGrain>(project).GetAsync())!.Counts.DeadLettered);

        Assert.True((await Grains.GetGrain<ITaskGrain>(Keys.Task(project, lease.TaskId)).RetryAsync()).IsSuccess);
        Assert.Equal(lease.TaskId, (await third.ClaimAsync(project)).Value!.TaskId);
    }

    [Fact]
    public async Task Lease_ExpiresOnItsTimer_AndTheWorkerForgetsIt()
    {
        var project = await NewProjectAsync(overlap: 1, leaseSeconds: 1);
        await ImportAsync(project, 1);
        var (first, second) = (await NewWorkerAsync(), await NewWorkerAsync());
        var lease = (await first.ClaimAsync(project)).Value!;
        Assert.Equal(1, (await first.GetAsync())!.ActiveLeases);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        LeaseGrant? second_ = null;
        while (second_ is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            second_ = (await second.ClaimAsync(project)).Value;
        }

        Assert.NotNull(second_);
        Assert.True(DateTimeOffset.UtcNow - lease.ExpiresAt < TimeSpan.FromSeconds(1.5), "offered again within about a second of expiresAt");
        Assert.Equal(0, (await first.GetAsync())!.ActiveLeases);
        Assert.Equal(ErrorKind.LeaseExpired, (await first.SubmitAsync(lease.LeaseId, "late")).Error);
    }

    [Fact]
    public async Task Claim_ByBlockedOrFullWorker_IsRefused()
    {
        var project = await NewProjectAsync(overlap: 1);
        await ImportAsync(project, 3);
        var worker = await NewWorkerAsync(maxActiveLeases: 1);

        Assert.NotNull((await worker.ClaimAsync(project)).Value);
        Assert.Equal(ErrorKind.Conflict, (await worker.ClaimAsync(project)).Error);
        await worker.BlockAsync("spam");
        Assert.Equal(ErrorKind.WorkerBlocked, (await worker.ClaimAsync(project)).Error);
        Assert.Equal(0, (await worker.GetAsync())!.ActiveLeases);
        Assert.Equal(0, (await Grains.GetGrain<IProjectGrain>(project).GetAsync())!.Counts.ActiveLeases);
    }

    private async Task<string> NewProjectAsync(int overlap, int leaseSeconds = 300, int maxAttempts = 10)
    {
        var id = $"p-{Guid.NewGuid():N}";
        var settings = new ProjectSettings(id, null, null, [], overlap, leaseSeconds, maxAttempts, 0.5m, 0, null, null);
        Assert.True((await Grains.GetGrain<IProjectGrain>(id).CreateAsync(null, settings)).IsSuccess);
        return id;
    }

    private async Task<ImportSummary> ImportAsync(string project, int count)
    {
        var tasks = Enumerable.Range(0, count).Select(i => new NewTask($"t{i}", $$"""{"n":{{i}}}""", 0, null)).ToImmutableArray();
        return (await Grains.GetGrain<IProjectGrain>(project).ImportAsync(tasks)).Value!;
    }

    private async Task<IWorkerGrain> NewWorkerAsync(int maxActiveLeases = 5)
    {
        var worker = Grains.GetGrain<IWorkerGrain>($"w-{Guid.NewGuid():N}");
        Assert.True((await worker.CreateAsync(null, maxActiveLeases, [1, 2, 3])).IsSuccess);
        return worker;
    }
}
