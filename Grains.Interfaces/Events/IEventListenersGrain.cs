using System.Collections.Immutable;

namespace Dispatch.Events;

/// <summary>
/// Which projects have someone reading their events. Publishers skip projects nobody reads, since the server keeps
/// no history: an event nobody receives is lost either way, but it would still cost every claim and submit.
/// Called when an event stream opens and every half minute while it stays open, and read by each silo at most once
/// a second; never on the claim path.
/// </summary>
[Alias("Dispatch.IEventListenersGrain")]
public interface IEventListenersGrain : IGrainWithIntegerKey
{
    /// <summary>Someone reads the project's events for at least <paramref name="forSeconds"/> more seconds.</summary>
    [Alias("Listen")]
    Task ListenAsync(string projectId, int forSeconds);

    [Alias("GetListened")]
    Task<ImmutableArray<string>> GetListenedAsync();
}

/// <summary>A silo service: registers a reader of a project's events so that publishers on every silo send them.</summary>
public interface IEventInterest
{
    /// <summary>Call when an event stream opens, and again every <see cref="RenewSeconds"/> while it stays open.</summary>
    Task ListenAsync(string projectId);

    /// <summary>How often an open stream renews its interest.</summary>
    public const int RenewSeconds = 30;
}
