using System.Text;

namespace Dispatch.Client;

/// <summary>One <c>text/event-stream</c> message: its <c>id</c> (the last one seen), <c>event</c> and joined <c>data</c> lines.</summary>
internal readonly record struct ServerSentEvent(string? Id, string Type, string Data);

/// <summary>Reads the event-stream format (WHATWG HTML, "Server-sent events"): comments skipped, multi-line data joined.</summary>
internal sealed class ServerSentEventReader(Stream stream)
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>The last <c>id</c> field seen; it carries over to later events, as the format says.</summary>
    public string? LastEventId { get; private set; }

    /// <summary>The last <c>retry</c> field: how long the server asks a client to wait before reconnecting.</summary>
    public TimeSpan? Retry { get; private set; }

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<ServerSentEvent?> ReadAsync(CancellationToken cancellationToken)
    {
        string? type = null;
        var data = new StringBuilder();
        var hasData = false;
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    return new ServerSentEvent(LastEventId, type ?? "message", data.ToString());
                }

                type = null;
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "event":
                    type = value;
                    break;
                case "data":
                    if (hasData)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    hasData = true;
                    break;
                case "id" when !value.Contains('\0'):
                    LastEventId = value;
                    break;
                case "retry" when int.TryParse(value, out var milliseconds) && milliseconds >= 0:
                    Retry = TimeSpan.FromMilliseconds(milliseconds);
                    break;
            }
        }

        return null;
    }
}
