using System.Collections.Concurrent;
using Dispatch.Common;
using Dispatch.Projects;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's copy of project settings, so that claims and submits never all ask the one project grain.
/// An entry is at most <see cref="SiloViewOptions.ProjectDirectoryMaxAge"/> old; the silo hosting a project grain
/// drops its entry on every change, so on a single silo a change is seen at once and elsewhere within that age.
/// It holds at most <see cref="SiloViewOptions.ProjectDirectoryMaxEntries"/> projects, since claims may name any id.
/// </summary>
public sealed class ProjectDirectory(IGrainFactory grains, IOptions<SiloViewOptions> options, TimeProvider time)
{
    private readonly TimeSpan _maxAge = options.Value.ProjectDirectoryMaxAge;
    private readonly int _maxEntries = options.Value.ProjectDirectoryMaxEntries;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _trimming = new();

    /// <summary>How many projects this silo holds a copy of now.</summary>
    public int Count => _entries.Count;

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
        if (_entries.Count > _maxEntries)
        {
            Trim(now);
        }

        return info;
    }

    public void Forget(string projectId) => _entries.TryRemove(projectId, out _);

    /// <summary>
    /// Drops the expired entries, then the oldest, down to three quarters of the limit, so that a trim (a pass over
    /// every entry) comes at most once per quarter of the limit in new projects.
    /// </summary>
    private void Trim(DateTimeOffset now)
    {
        lock (_trimming)
        {
            if (_entries.Count <= _maxEntries)
            {
                return;
            }

            foreach (var (id, entry) in _entries)
            {
                if (now - entry.FetchedAt >= _maxAge)
                {
                    _entries.TryRemove(id, out _);
                }
            }

            var keep = _maxEntries * 3 / 4;
            var excess = _entries.Count - keep;
            if (excess > 0)
            {
                foreach (var (id, _) in _entries.OrderBy(e => e.Value.FetchedAt).Take(excess).ToList())
                {
                    _entries.TryRemove(id, out _);
                }
            }
        }
    }

    private sealed record Entry(ProjectInfo? Info, DateTimeOffset FetchedAt);
}
