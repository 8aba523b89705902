using System.Net;
using Polly;
using Polly.Timeout;

namespace Dispatch.Client;

/// <summary>Which outcomes the retry strategy may retry, given the call's <see cref="Replay"/> class.</summary>
internal static class ReplayPolicy
{
    public static readonly ResiliencePropertyKey<Replay> Key = new("Dispatch.Replay");

    public static bool ShouldRetry(ResilienceContext context, Outcome<HttpResponseMessage> outcome)
    {
        // Calls made around the client (a plain HttpClient from the factory) carry no class: treat them as unsafe.
        var replay = context.Properties.TryGetValue(Key, out var value) ? value : Replay.WhenNotReceived;
        if (outcome.Exception is { } exception)
        {
            return exception switch
            {
                OperationCanceledException when context.CancellationToken.IsCancellationRequested => false,
                HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => true,
                HttpRequestException or TimeoutRejectedException or TimeoutException or OperationCanceledException => replay == Replay.Safe,
                _ => false,
            };
        }

        return outcome.Result?.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => true,
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout => replay == Replay.Safe,
            _ => false,
        };
    }
}
