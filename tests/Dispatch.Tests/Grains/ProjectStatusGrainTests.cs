using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Grains;

/// <summary>
/// The task that would grant a lease refuses itself when its project is paused or closed, whatever the claim's silo
/// or the catalogue of open projects (whose update may have failed) believe.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ProjectStatusGrainTests(GrainClusterFixture fixture)
{
    [Theory]
    [InlineData(ProjectStatus.Paused)]
    [InlineData(ProjectStatus.Closed)]
    public async Task TaskOfAProjectNotOpen_GrantsNoLease(ProjectStatus status)
    {
        var project = $"p-{Guid.NewGuid():N}";
        var settings = new ProjectSettings(project, null, null, [], 1, 300, 10, 0.5m, 0, null, null);
        Assert.True((await fixture.Grains.GetGrain<IProjectGrain>(project).CreateAsync(null, settings)).IsSuccess);
        Assert.True((await fixture.Grains.GetGrain<IProjectGrain>(project).ImportAsync([new NewTask("t", "{}", 0, null)])).IsSuccess);
        Assert.True((await fixture.Grains.GetGrain<IProjectGrain>(project).UpdateAsync(new ProjectPatch(status, null, null, null, null))).IsSuccess);

        // Past the age of every silo's copy of the project's settings.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var attempt = await fixture.Grains.GetGrain<ITaskGrain>(Keys.Task(project, "t")).LeaseAsync("w-" + Guid.NewGuid().ToString("N"), null);

        Assert.Null(attempt.Grant);
        Assert.Equal(LeaseRefusal.ProjectNotOpen, attempt.Refusal);
        Assert.Empty((await fixture.Grains.GetGrain<ITaskGrain>(Keys.Task(project, "t")).GetAsync())!.Leases);
    }
}
