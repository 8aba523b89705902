using Orleans.Configuration;

namespace Dispatch.Silo;

/// <summary>
/// How long a grain call may go unanswered, before <c>Orleans:Messaging:*</c> settings are applied over it.
/// </summary>
public static class CallDeadline
{
    /// <summary>
    /// Ten seconds (Orleans' default is 30). A database that stops answering without refusing connections (a frozen
    /// host, a stalled disk, a black-holed network path) ends no statement by itself: Npgsql's own timeouts send
    /// PostgreSQL a cancel request, which waits on the same silent server. So the grain call is the deadline that
    /// ends such a call with <c>503</c>, and every call queued behind it at a busy grain fails as soon. No Dispatch
    /// grain call does more than a few short statements (a page, a batch, a bounded import), and the task writer's
    /// deadline (<c>PostgresTaskWriter.WriteDeadline</c>) stays well inside this one, so a write is answered before
    /// its caller gives up whenever the database answers at all.
    /// </summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);

    public static void ApplyDefaults(SiloMessagingOptions options) => options.ResponseTimeout = ResponseTimeout;
}
