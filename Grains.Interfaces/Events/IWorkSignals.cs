namespace Dispatch.Events;

/// <summary>
/// A silo service: this silo's one subscription to the work signals, shared by everything on the silo that waits
/// for work, so that a silo receives each signal once however many waiters it has.
/// </summary>
public interface IWorkSignals
{
    /// <summary>
    /// Calls <paramref name="onWork"/> with every work signal this silo receives, for as long as the silo runs,
    /// after the silo's own views have dropped what the signal made stale; and <paramref name="onFallback"/> at a
    /// slow steady pace, so that waiters try again even when a signal was lost on the way. Both must return quickly:
    /// they run on the stream's delivery and on the silo's timer.
    /// </summary>
    void Listen(Action<WorkSignal> onWork, Action onFallback);
}
