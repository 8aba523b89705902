using System.Text;
using Dispatch.Client;

namespace Dispatch.Tests.Client;

/// <summary>The event-stream format as the client reads it, without a host.</summary>
public sealed class ServerSentEventReaderTests
{
    [Fact]
    public async Task Reader_SkipsCommentsJoinsDataLines_AndCarriesTheLastIdAndRetry()
    {
        var text = ": heartbeat\n\nretry: 2500\nid: 7-0\nevent: task.created\ndata: {\"a\":\ndata: 1}\n\n: heartbeat\n\nevent: task.leased\ndata:{}\n\nid: 9-1\n";
        var reader = new ServerSentEventReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        var first = await reader.ReadAsync(CancellationToken.None);
        var second = await reader.ReadAsync(CancellationToken.None);
        var end = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal(new ServerSentEvent("7-0", "task.created", "{\"a\":\n1}"), first);
        Assert.Equal(new ServerSentEvent("7-0", "task.leased", "{}"), second);
        Assert.Null(end);
        Assert.Equal(("9-1", TimeSpan.FromMilliseconds(2500)), (reader.LastEventId, reader.Retry));
    }
}
