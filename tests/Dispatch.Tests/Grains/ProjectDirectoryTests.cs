using Dispatch.Grains.SiloViews;
using Microsoft.Extensions.Options;

namespace Dispatch.Tests.Grains;

/// <summary>
/// A silo's copy of project settings stays bounded however many project ids claims name (most of them made up by a
/// careless or hostile client), and forgets expired entries before fresh ones.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ProjectDirectoryTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task ProjectIdsNamedByClaims_AreRememberedOnlyUpToTheLimit()
    {
        var directory = Directory(maxEntries: 8, new ManualTime());

        for (var i = 0; i < 40; i++)
        {
            Assert.Null(await directory.GetAsync($"nobody-{Guid.NewGuid():N}"));
            Assert.InRange(directory.Count, 1, 8);
        }
    }

    [Fact]
    public async Task OverTheLimit_ExpiredEntriesGoFirst()
    {
        var time = new ManualTime();
        var directory = Directory(maxEntries: 4, time);
        foreach (var id in new[] { "old-a", "old-b", "old-c" })
        {
            await directory.GetAsync($"{id}-{Guid.NewGuid():N}");
        }

        time.Now += TimeSpan.FromSeconds(2);
        await directory.GetAsync($"new-d-{Guid.NewGuid():N}");
        await directory.GetAsync($"new-e-{Guid.NewGuid():N}");

        // The three expired ones made room; the two fresh ones stay.
        Assert.Equal(2, directory.Count);
    }

    private ProjectDirectory Directory(int maxEntries, TimeProvider time) =>
        new(fixture.Grains, Options.Create(new SiloViewOptions { ProjectDirectoryMaxEntries = maxEntries, ProjectDirectoryMaxAge = TimeSpan.FromSeconds(1) }), time);

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
