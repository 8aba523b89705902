using System.Net;

namespace Dispatch.Client;

// Operations: health needs no key.
public sealed partial class DispatchClient
{
    /// <summary>
    /// <c>GET /health/ready</c>: true when the silo's storage and cluster answer, false while it answers <c>503</c>
    /// (say, a database outage); a <c>503</c> is the answer here, not a reason to retry. Throws
    /// <see cref="HttpRequestException"/> when nothing answers at all.
    /// </summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await SendRawAsync(HttpMethod.Get, "health/ready", null, Replay.WhenNotReceived, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return true;
        }
        catch (DispatchProblemException e) when (e.Status == HttpStatusCode.ServiceUnavailable)
        {
            return false;
        }
    }
}
