using System.Collections.Concurrent;
using Dispatch.Api.Auth;

namespace Dispatch.Api.Projects;

/// <summary>Bounds the event streams one caller holds open on this silo, so no requester can pin its memory.</summary>
public sealed class EventStreamSlots(int perCaller)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public int PerCaller => perCaller;

    /// <summary>A slot to dispose when the stream ends; null when the caller already holds all of its slots.</summary>
    public IDisposable? TryTake(Caller caller)
    {
        if (caller.IsAdmin)
        {
            return new Slot(() => { });
        }

        var key = $"{caller.Role}:{caller.Id}";
        var taken = _open.AddOrUpdate(key, 1, (_, open) => open + 1);
        if (taken > perCaller)
        {
            Release(key);
            return null;
        }

        return new Slot(() => Release(key));
    }

    private void Release(string key) => _open.AddOrUpdate(key, 0, (_, open) => Math.Max(0, open - 1));

    private sealed class Slot(Action release) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }
    }
}
