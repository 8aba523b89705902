using System.Collections.Concurrent;
using Dispatch.Common;
using Dispatch.Projects;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's copy of project settings, so that claims and submits never all ask the one project grain.
/// An entry is at most <see cref="SiloViewOptions.ProjectDirectoryMaxAge"/> old; the silo hosting a project grain
/// drops its entry on every change, so on a single silo a change is seen at once and elsewhere within that age.
/// </summary>
public sealed class ProjectDirectory(IGrainFactory grains, IOptions<SiloViewOptions> options, TimeProvider time)
{
    private readonly TimeSpan _maxAge = options.Value.ProjectDirectoryMaxAge;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The project, or null when it does not exist.</summary>
    public async ValueTask<ProjectInfo?> GetAsync(string projectId)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(projectId, out var entry) && now - entry.FetchedAt < _maxAge)
        {
            return entry.Info;
        }

        var info = await grains.GetReference<IProjectGrain>(projectId).GetInfoAsync();
        _entries[projectId] = new Entry(info, now);
        return info;
    }

    public void Forget(string projectId) => _entries.TryRemove(projectId, out _);

    private sealed record Entry(ProjectInfo? Info, DateTimeOffset FetchedAt);
}
