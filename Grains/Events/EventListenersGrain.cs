using System.Collections.Immutable;
using Dispatch.Events;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Events;

/// <summary>Leases of interest in projects' events, in memory: after a restart, open streams renew theirs within half a minute.</summary>
public sealed partial class EventListenersGrain(TimeProvider time, ILogger<EventListenersGrain> logger) : Grain, IEventListenersGrain
{
    private readonly Dictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public Task ListenAsync(string projectId, int forSeconds)
    {
        var until = time.GetUtcNow().AddSeconds(forSeconds);
        if (!_until.TryGetValue(projectId, out var known))
        {
            LogListened(logger, projectId, until);
        }

        if (known < until)
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
            LogNoLongerListened(logger, expired);
        }

        return Task.FromResult(_until.Keys.ToImmutableArray());
    }
}
