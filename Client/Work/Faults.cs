using System.Net;
using Polly.Timeout;

namespace Dispatch.Client;

internal static class Faults
{
    /// <summary>A failure that waiting may cure: no answer, a timeout, or the server saying it is busy or unavailable.</summary>
    public static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        HttpRequestException or IOException or TimeoutRejectedException or OperationCanceledException => true,
        DispatchProblemException p => p.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)p.Status >= 500,
        _ => false,
    };
}
