using Dispatch.Common;
using Dispatch.Events;
using Dispatch.Work;
using Orleans.Streams;

namespace Dispatch.Api.Work;

/// <summary>
/// Long polling without polling: a waiting claim registers here, and this silo's one subscription to the work
/// signal stream wakes the waiters of the project concerned (and those waiting for any project) to claim again.
/// A waiter is a completion source, so ten thousand waiting workers cost memory and no CPU.
/// </summary>
public sealed class WorkWaiters(IClusterClient client, TimeProvider time)
{
    private readonly HashSet<Waiter> _waiters = [];
    private readonly SemaphoreSlim _subscribing = new(1, 1);
    private volatile bool _subscribed;

    public int Count
    {
        get
        {
            lock (_waiters)
            {
                return _waiters.Count;
            }
        }
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

        await EnsureSubscribedAsync();
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var waiter = Register(projectId);
            try
            {
                var result = await claim();
                var remaining = deadline - time.GetUtcNow();
                if (!result.IsSuccess || result.Value is not null || remaining <= TimeSpan.Zero)
                {
                    return result;
                }

                try
                {
                    await waiter.Signal.Task.WaitAsync(remaining, time, cancellationToken);
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

    private async Task EnsureSubscribedAsync()
    {
        if (_subscribed)
        {
            return;
        }

        await _subscribing.WaitAsync();
        try
        {
            if (!_subscribed)
            {
                var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<WorkSignal>(EventStreams.WorkNamespace, EventStreams.WorkKey);
                await stream.SubscribeAsync((signal, _) =>
                {
                    Wake(signal);
                    return Task.CompletedTask;
                });
                _subscribed = true;
            }
        }
        finally
        {
            _subscribing.Release();
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
