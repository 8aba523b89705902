namespace Dispatch.Events;

/// <summary>
/// A silo service: this silo's one subscription to the work signals, shared by everything on the silo that waits
/// for work, so that a silo receives each signal once however many waiters it has.
/// </summary>
public interface IWorkSignals
{
    /// <summary>
    /// Calls <paramref name="onWork"/> with every work signal this silo receives, for as long as the silo runs,
    /// after the silo's own views have dropped what the signal made stale. It must return quickly: it runs on the
    /// stream's delivery.
    /// </summary>
    void Listen(Action<WorkSignal> onWork);
}
