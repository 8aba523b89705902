using System.Threading.Channels;
using Dispatch.Grains.Postgres;
using Npgsql;

namespace Dispatch.Grains.Storage;

/// <summary>
/// Group commit: items from many callers that arrive while a write is under way go to PostgreSQL together, written by
/// one set-based statement (or a few) in one transaction with one commit (one WAL flush), and each caller is answered
/// only after that commit. Batches grow with load and nothing waits on a timer: an idle writer writes the first item at
/// once. A batch that fails as a whole is written again item by item, so one bad item fails only its own caller.
/// Every item has a deadline: once it has passed, the item is not written any more (a statement still running for it
/// is cancelled) and its caller hears <see cref="TimeoutException"/>. Callers give up later than that, so an item is
/// never stored after its caller was told it failed.
/// </summary>
/// <typeparam name="TItem">What one caller asks to write.</typeparam>
/// <typeparam name="TAnswer">What one caller is told once its item committed.</typeparam>
public sealed class GroupCommit<TItem, TAnswer> : IAsyncDisposable
{
    /// <summary>Writes the items in one transaction on the connection and answers each, in order.</summary>
    public delegate Task<TAnswer[]> BatchWriter(NpgsqlConnection connection, IReadOnlyList<TItem> items, CancellationToken cancellationToken);

    private readonly NpgsqlDataSource _dataSource;
    private readonly BatchWriter _write;
    private readonly int _maxBatch;
    private readonly TimeSpan _deadline;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();
    private readonly Task[] _writers;

    /// <param name="maxBatch">Most items in one batch.</param>
    /// <param name="writers">Batches written at once, each on its own connection: while one waits for its commit, the
    /// next one gathers.</param>
    /// <param name="deadline">How long after it was handed in an item may still be written.</param>
    public GroupCommit(NpgsqlDataSource dataSource, BatchWriter write, int maxBatch, int writers, TimeSpan deadline, TimeProvider? time = null)
    {
        _dataSource = dataSource;
        _write = write;
        _maxBatch = maxBatch;
        _deadline = deadline;
        _time = time ?? TimeProvider.System;
        _writers = [.. Enumerable.Range(0, writers).Select(_ => Task.Run(WriteLoopAsync))];
    }

    public Task<TAnswer> WriteAsync(TItem item)
    {
        var pending = new Pending(item, _time.GetTimestamp());
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommit<TItem, TAnswer>));
        }

        return pending.Answer.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatch && _pending.Reader.TryRead(out var next))
            {
                if (!GiveUpIfLate(next))
                {
                    batch.Add(next);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await WriteTogetherAsync(batch);
            }
            catch when (batch.Count > 1)
            {
                foreach (var single in batch)
                {
                    await WriteAloneAsync(single);
                }
            }
            catch (Exception e)
            {
                batch[0].Answer.TrySetException(e);
            }

            batch.Clear();
        }
    }

    private async Task WriteAloneAsync(Pending pending)
    {
        if (GiveUpIfLate(pending))
        {
            return;
        }

        try
        {
            await WriteTogetherAsync([pending]);
        }
        catch (Exception e)
        {
            pending.Answer.TrySetException(e);
        }
    }

    private async Task WriteTogetherAsync(List<Pending> batch)
    {
        // The batch may run only as long as its most hurried item may wait; cancelling the statement rolls it back.
        var left = Remaining(batch.Min(p => p.HandedIn));
        using var late = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1), _time);
        TAnswer[] answers;
        try
        {
            answers = await _dataSource.OnConnectionAsync(connection => _write(connection, [.. batch.Select(p => p.Item)], late.Token), late.Token);
        }
        catch (OperationCanceledException e) when (late.IsCancellationRequested)
        {
            throw NotWritten(e);
        }

        // Reaching here means the transaction committed: only now is any caller answered.
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Answer.TrySetResult(answers[i]);
        }
    }

    private bool GiveUpIfLate(Pending pending)
    {
        if (Remaining(pending.HandedIn) > TimeSpan.Zero)
        {
            return false;
        }

        pending.Answer.TrySetException(NotWritten(inner: null));
        return true;
    }

    private TimeoutException NotWritten(Exception? inner) =>
        new($"Not written: the database did not take the write within {_deadline.TotalSeconds:0.#} s.", inner);

    private TimeSpan Remaining(long handedIn) => _deadline - _time.GetElapsedTime(handedIn);

    private sealed record Pending(TItem Item, long HandedIn)
    {
        public TaskCompletionSource<TAnswer> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
