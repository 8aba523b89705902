using System.Collections.Immutable;
using Dispatch.Events;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// Where this silo's work signals go: first to the views a signal makes stale (the empty-project memory and the
/// shard-head picture), then to whoever waits for work. One place, so that the stream reaches each silo once and a
/// waiting claim woken by a signal never reads a view that signal has not cleared yet.
/// </summary>
public sealed class WorkSignals(WorkAvailability availability, ShardHeads heads) : IWorkSignals
{
    private ImmutableArray<(Action<WorkSignal> OnWork, Action OnFallback)> _listeners = [];

    public void Listen(Action<WorkSignal> onWork, Action onFallback) =>
        ImmutableInterlocked.Update(ref _listeners, listeners => listeners.Add((onWork, onFallback)));

    /// <summary>
    /// This silo sent a signal for the project: its own views drop the project at once, so that a claim made here
    /// right after an import or a reopening does not depend on the stream's delivery. Listeners hear of it when the
    /// stream brings the signal back.
    /// </summary>
    public void Sent(string projectId) => ForgetViews(projectId);

    /// <summary>A signal from the stream, which every silo receives, the sender included.</summary>
    public void Received(WorkSignal signal)
    {
        ForgetViews(signal.ProjectId);
        foreach (var listener in _listeners)
        {
            listener.OnWork(signal);
        }
    }

    /// <summary>
    /// The slow periodic wake-up (<see cref="SiloViewOptions.WorkSignalFallback"/>): a signal lost on the way, or one
    /// that woke a claim which could not take the work, must not leave free work to wait for the next signal.
    /// </summary>
    public void Fallback()
    {
        foreach (var listener in _listeners)
        {
            listener.OnFallback();
        }
    }

    private void ForgetViews(string projectId)
    {
        availability.Forget(projectId);
        heads.Forget(projectId);
    }
}
