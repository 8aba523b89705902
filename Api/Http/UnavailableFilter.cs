using System.Data.Common;
using Microsoft.AspNetCore.Http;

namespace Dispatch.Api;

/// <summary>
/// A storage or cluster fault is an answer too: <c>503 unavailable</c> with <c>Retry-After</c>, never a 500 and
/// never a false success. Only infrastructure faults are caught here; a bug still surfaces as a 500.
/// </summary>
public sealed class UnavailableFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (!HoldsDeterministicDatabaseError(e) && (IsInfrastructureFault(e) || IsExpiredMessage(e, context.HttpContext)))
        {
            return Problems.Unavailable(context.HttpContext.Response, "Storage or the cluster did not answer in time, so this call is not acknowledged. Retry shortly; a retried submit answers 409 lease-not-active when the first attempt was stored after all.");
        }
    }

    /// <summary>
    /// Orleans cancels a message that outlives its deadline (say, while a dead silo's grains are being placed
    /// again); that is a fault of the cluster unless the caller itself went away.
    /// </summary>
    private static bool IsExpiredMessage(Exception e, HttpContext http) =>
        e is OperationCanceledException && !http.RequestAborted.IsCancellationRequested;

    /// <summary>
    /// An error the database gives alike on every retry (bad data, a broken constraint, a wrong statement: SQLSTATE
    /// classes 21, 22, 23, 42, 0A and 44) is a bug to surface, not an outage: a <c>503</c> would invite endless retries.
    /// </summary>
    private static bool HoldsDeterministicDatabaseError(Exception e) => e switch
    {
        DbException { SqlState: { Length: 5 } state } when state[..2] is "21" or "22" or "23" or "42" or "0A" or "44" => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(HoldsDeterministicDatabaseError),
        _ => e.InnerException is { } inner && HoldsDeterministicDatabaseError(inner),
    };

    private static bool IsInfrastructureFault(Exception e) => e switch
    {
        DbException or TimeoutException or OrleansException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsInfrastructureFault),
        _ => e.InnerException is { } inner && IsInfrastructureFault(inner),
    };
}
