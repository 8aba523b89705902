using System.Collections.Immutable;
using Dispatch.Events;

namespace Dispatch.Grains.Events;

/// <summary>Leases of interest in projects' events, in memory: after a restart, open streams renew theirs within half a minute.</summary>
public sealed class EventListenersGrain(TimeProvider time) : Grain, IEventListenersGrain
{
    private readonly Dictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public Task ListenAsync(string projectId, int forSeconds)
    {
        var until = time.GetUtcNow().AddSeconds(forSeconds);
        if (!_until.TryGetValue(projectId, out var known) || known < until)
        {
            _until[projectId] = until;
        }

        return Task.CompletedTask;
    }

    public Task<ImmutableArray<string>> GetListenedAsync()
    {
        var now = time.GetUtcNow();
        foreach (var expired in _until.Where(l => l.Value <= now).Select(l => l.Key).ToList())
        {
            _until.Remove(expired);
        }

        return Task.FromResult(_until.Keys.ToImmutableArray());
    }
}
