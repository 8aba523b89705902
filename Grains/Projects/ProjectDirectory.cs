using System.Collections.Concurrent;
using Dispatch.Common;
using Dispatch.Projects;

namespace Dispatch.Grains.Projects;

/// <summary>
/// This silo's copy of project settings, so that claims and submits never all ask the one project grain.
/// An entry is at most <see cref="MaxAge"/> old; the silo hosting a project grain drops its entry on every change,
/// so on a single silo a change is seen at once and elsewhere within a second.
/// </summary>
public sealed class ProjectDirectory(IGrainFactory grains, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The project, or null when it does not exist.</summary>
    public async ValueTask<ProjectInfo?> GetAsync(string projectId)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(projectId, out var entry) && now - entry.FetchedAt < MaxAge)
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
