using System.Collections.Immutable;
using Dispatch.Events;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's copy of the projects whose events someone reads, refreshed in the background at most once per
/// <see cref="SiloViewOptions.EventInterestMaxAge"/>. A stream opened on this silo counts at once; one opened on
/// another silo once this silo's copy is next refreshed.
/// </summary>
public sealed class EventInterest(IGrainFactory grains, IOptions<SiloViewOptions> options, TimeProvider time) : IEventInterest
{
    private readonly TimeSpan _maxAge = options.Value.EventInterestMaxAge;

    // The listeners grain counts whole seconds; rounding up never lets a lease end before the stream renews it.
    private readonly int _leaseSeconds = (int)Math.Ceiling(options.Value.EventInterestLease.TotalSeconds);

    private ImmutableHashSet<string> _listened = ImmutableHashSet<string>.Empty;
    private ImmutableHashSet<string> _localUntilRefresh = ImmutableHashSet<string>.Empty;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private int _refreshing;

    public bool IsListened(string projectId)
    {
        if (time.GetUtcNow() - _fetchedAt >= _maxAge && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = RefreshAsync();
        }

        return _listened.Contains(projectId) || _localUntilRefresh.Contains(projectId);
    }

    /// <summary>Registers a reader of the project's events, here at once and everywhere through the listeners grain.</summary>
    public Task ListenAsync(string projectId)
    {
        ImmutableInterlocked.Update(ref _localUntilRefresh, set => set.Add(projectId));
        return grains.GetGrain<IEventListenersGrain>(0).ListenAsync(projectId, _leaseSeconds);
    }

    private async Task RefreshAsync()
    {
        try
        {
            var fetchedAt = time.GetUtcNow();
            var listened = await grains.GetGrain<IEventListenersGrain>(0).GetListenedAsync();
            _listened = [.. listened];
            ImmutableInterlocked.Update(ref _localUntilRefresh, local => local.Except(listened));
            _fetchedAt = fetchedAt;
        }
        catch
        {
            // Keep publishing by the last copy; the next event asks again.
            _fetchedAt = time.GetUtcNow();
        }
        finally
        {
            Interlocked.Exchange(ref _refreshing, 0);
        }
    }
}
