namespace Dispatch.Client;

/// <summary>How <see cref="DispatchEvents.ReadEventsAsync"/> keeps a project's event stream open.</summary>
public sealed class EventStreamOptions
{
    /// <summary>Wait before the first reconnect, doubled after each failed one (a server's <c>retry:</c> overrides it). Default: 1 s.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between reconnects. Default: 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Called each time the stream is open, the first time and after every reconnect: from then on the server sends
    /// every new event. Events that happened while it was closed are replayed only where the server still holds them
    /// for <c>Last-Event-ID</c>; Dispatch today holds none, so catch up through the results or task views.
    /// </summary>
    public Action? Connected { get; set; }
}
