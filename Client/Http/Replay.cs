namespace Dispatch.Client;

/// <summary>
/// Whether a call may be sent again when its answer is a retryable failure. Decided per operation, because a lost
/// answer does not tell whether the server acted.
/// </summary>
public enum Replay
{
    /// <summary>
    /// Sending it twice has the effect of sending it once (reads, <c>PUT</c>, <c>PATCH</c>, block, heartbeat, an import
    /// whose tasks all carry ids): retried on <c>429</c>, <c>503</c>, <c>408</c>, <c>502</c>, <c>504</c> and
    /// transport errors.
    /// </summary>
    Safe,

    /// <summary>
    /// Sending it twice may act twice or lose its answer (claim, submit, release, creating a requester, worker or
    /// project, an import with generated ids): retried only when the server cannot have acted, that is on
    /// <c>429</c> (refused before the call ran) and when no connection could be made.
    /// </summary>
    WhenNotReceived,
}
