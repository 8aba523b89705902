using System.Text;

namespace Dispatch.Tests.Client;

/// <summary>
/// Drops the first event stream right after its first complete event, as a proxy or a network fault would, and
/// records the <c>Last-Event-ID</c> each connection sent.
/// </summary>
internal sealed class StreamCutter : DelegatingHandler
{
    private int _connections;

    public List<string?> LastEventIds { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!request.RequestUri!.AbsolutePath.EndsWith("/events", StringComparison.Ordinal) || !response.IsSuccessStatusCode)
        {
            return response;
        }

        lock (LastEventIds)
        {
            LastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var ids) ? ids.Single() : null);
        }

        if (Interlocked.Increment(ref _connections) == 1)
        {
            var cut = new StreamContent(new CutAfterFirstEvent(await response.Content.ReadAsStreamAsync(cancellationToken)));
            foreach (var header in response.Content.Headers)
            {
                cut.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = cut;
        }

        return response;
    }

    private sealed class CutAfterFirstEvent(Stream inner) : Stream
    {
        private readonly StringBuilder _seen = new();
        private bool _cut;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_cut)
            {
                throw new IOException("The connection was reset (cut by the test).");
            }

            var read = await inner.ReadAsync(buffer, cancellationToken);
            _seen.Append(Encoding.UTF8.GetString(buffer.Span[..read]));
            var text = _seen.ToString();
            var data = text.IndexOf("data:", StringComparison.Ordinal);
            _cut = data >= 0 && text.IndexOf("\n\n", data, StringComparison.Ordinal) >= 0;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
