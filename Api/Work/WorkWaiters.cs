using Dispatch.Common;
using Dispatch.Events;
using Dispatch.Work;

namespace Dispatch.Api.Work;

/// <summary>
/// Long polling without polling: a waiting claim registers here, and this silo's work signals wake the waiters of
/// the project concerned (and those waiting for any project) to claim again. A waiter is a completion source, so
/// ten thousand waiting workers cost memory and no CPU.
/// </summary>
public sealed class WorkWaiters
{
    private readonly TimeProvider _time;
    private readonly HashSet<Waiter> _waiters = [];

    public WorkWaiters(IWorkSignals signals, TimeProvider time)
    {
        _time = time;
        signals.Listen(Wake);
    }

    /// <summary>
    /// Claims now; when no work fits, waits for a signal and claims again, until work is leased, the wait is
    /// over, or the caller went away. The claim is always made after the waiter is registered, so a signal
    /// sent in between is never missed.
    /// </summary>
    public async Task<Result<LeaseGrant?>> ClaimAsync(Func<Task<Result<LeaseGrant?>>> claim, string? projectId, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return await claim();
        }

        var deadline = _time.GetUtcNow() + wait;
        while (true)
        {
            var waiter = Register(projectId);
            try
            {
                var result = await claim();
                var remaining = deadline - _time.GetUtcNow();
                if (!result.IsSuccess || result.Value is not null || remaining <= TimeSpan.Zero)
                {
                    return result;
                }

                try
                {
                    await waiter.Signal.Task.WaitAsync(remaining, _time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    return result;
                }
            }
            finally
            {
                Unregister(waiter);
            }
        }
    }

    private void Wake(WorkSignal signal)
    {
        lock (_waiters)
        {
            foreach (var waiter in _waiters)
            {
                if (waiter.ProjectId is null || waiter.ProjectId == signal.ProjectId)
                {
                    waiter.Signal.TrySetResult();
                }
            }
        }
    }

    private Waiter Register(string? projectId)
    {
        var waiter = new Waiter(projectId);
        lock (_waiters)
        {
            _waiters.Add(waiter);
        }

        return waiter;
    }

    private void Unregister(Waiter waiter)
    {
        lock (_waiters)
        {
            _waiters.Remove(waiter);
        }
    }

    private sealed class Waiter(string? projectId)
    {
        public string? ProjectId { get; } = projectId;

        public TaskCompletionSource Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
