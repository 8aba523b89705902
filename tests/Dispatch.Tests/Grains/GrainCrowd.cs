using System.Diagnostics;
using Dispatch.Projects;
using Dispatch.Workers;

namespace Dispatch.Tests.Grains;

/// <summary>Workers and project counts for tests that talk to grains directly.</summary>
public static class GrainCrowd
{
    public static async Task<IWorkerGrain> NewWorkerAsync(IGrainFactory grains)
    {
        var worker = grains.GetGrain<IWorkerGrain>($"w-{Guid.NewGuid():N}");
        Assert.True((await worker.CreateAsync(null, 5, [1, 2, 3])).IsSuccess);
        return worker;
    }

    public static async Task<ProjectCounts> CountsAsync(IGrainFactory grains, string project) =>
        (await grains.GetGrain<IProjectGrain>(project).GetAsync())!.Counts;

    /// <summary>Waits until the project's counts are <paramref name="expected"/>, and asserts they became so in time.</summary>
    public static async Task CountsBecomeAsync(IGrainFactory grains, string project, ProjectCounts expected, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var counts = await CountsAsync(grains, project);
        while (counts != expected && clock.Elapsed < within)
        {
            await Task.Delay(200);
            counts = await CountsAsync(grains, project);
        }

        Assert.Equal(expected, counts);
    }
}
