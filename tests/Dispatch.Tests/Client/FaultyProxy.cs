using System.Net;
using System.Text;

namespace Dispatch.Tests.Client;

/// <summary>
/// Sits between the client's retries and a real host and spoils the answers of chosen calls after the host has acted
/// on them, as a failing proxy or network does: the call is stored, the caller does not hear so. Records every
/// attempt (method, path, status, time).
/// </summary>
internal sealed class FaultyProxy(Func<HttpRequestMessage, HttpResponseMessage, FaultyProxy.Spoil> decide) : DelegatingHandler
{
    public enum Spoil
    {
        No,

        /// <summary>The answer becomes <c>503 unavailable</c> with <c>Retry-After: 1</c>.</summary>
        Unavailable,

        /// <summary>The connection drops before the answer arrives.</summary>
        Reset,
    }

    public List<(HttpMethod Method, string Path, HttpStatusCode? Status, DateTime At, TimeSpan? RetryAfter)> Attempts { get; } = [];

    public int Count(HttpMethod method, string pathEnd)
    {
        lock (Attempts)
        {
            return Attempts.Count(a => a.Method == method && a.Path.EndsWith(pathEnd, StringComparison.Ordinal));
        }
    }

    /// <summary>Spoils only the first answer that <paramref name="match"/> accepts.</summary>
    public static Func<HttpRequestMessage, HttpResponseMessage, Spoil> Once(Spoil spoil, Func<HttpRequestMessage, HttpResponseMessage, bool> match)
    {
        var done = 0;
        return (request, response) => match(request, response) && Interlocked.Exchange(ref done, 1) == 0 ? spoil : Spoil.No;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var at = DateTime.UtcNow;
        var response = await base.SendAsync(request, cancellationToken);
        var spoil = decide(request, response);
        var path = request.RequestUri!.AbsolutePath;
        if (spoil == Spoil.Reset)
        {
            Record(request.Method, path, null, at, null);
            response.Dispose();
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "The connection was reset before the answer arrived (spoiled by the test).");
        }

        if (spoil == Spoil.Unavailable)
        {
            response.Dispose();
            response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            {
                RequestMessage = request,
                Content = new StringContent(
                    """{"type":"unavailable","title":"Service unavailable","status":503,"detail":"Spoiled by the test after the host acted."}""",
                    Encoding.UTF8,
                    "application/problem+json"),
            };
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
        }

        Record(request.Method, path, response.StatusCode, at, response.Headers.RetryAfter?.Delta);
        return response;
    }

    private void Record(HttpMethod method, string path, HttpStatusCode? status, DateTime at, TimeSpan? retryAfter)
    {
        lock (Attempts)
        {
            Attempts.Add((method, path, status, at, retryAfter));
        }
    }
}
