using System.Threading.Channels;
using Npgsql;

namespace Dispatch.Grains.Storage;

/// <summary>
/// Group commit: items from many callers that arrive while a write is under way go to PostgreSQL together, written by
/// one set-based statement (or a few) in one transaction with one commit (one WAL flush), and each caller is answered
/// only after that commit. Batches grow with load and nothing waits on a timer: an idle writer writes the first item at
/// once. A batch that fails as a whole is written again item by item, so one bad item fails only its own caller.
/// </summary>
/// <typeparam name="TItem">What one caller asks to write.</typeparam>
/// <typeparam name="TAnswer">What one caller is told once its item committed.</typeparam>
public sealed class GroupCommit<TItem, TAnswer> : IAsyncDisposable
{
    /// <summary>Writes the items in one transaction on the connection and answers each, in order.</summary>
    public delegate Task<TAnswer[]> BatchWriter(NpgsqlConnection connection, IReadOnlyList<TItem> items);

    private readonly NpgsqlDataSource _dataSource;
    private readonly BatchWriter _write;
    private readonly int _maxBatch;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();
    private readonly Task[] _writers;

    /// <param name="maxBatch">Most items in one batch.</param>
    /// <param name="writers">Batches written at once, each on its own connection: while one waits for its commit, the
    /// next one gathers.</param>
    public GroupCommit(NpgsqlDataSource dataSource, BatchWriter write, int maxBatch, int writers)
    {
        _dataSource = dataSource;
        _write = write;
        _maxBatch = maxBatch;
        _writers = [.. Enumerable.Range(0, writers).Select(_ => Task.Run(WriteLoopAsync))];
    }

    public Task<TAnswer> WriteAsync(TItem item)
    {
        var pending = new Pending(item);
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
                batch.Add(next);
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
        TAnswer[] answers;
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            answers = await _write(connection, [.. batch.Select(p => p.Item)]);
        }

        // Reaching here means the transaction committed: only now is any caller answered.
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Answer.TrySetResult(answers[i]);
        }
    }

    private sealed record Pending(TItem Item)
    {
        public TaskCompletionSource<TAnswer> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
