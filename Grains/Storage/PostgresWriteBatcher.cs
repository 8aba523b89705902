using System.Threading.Channels;
using Npgsql;

namespace Dispatch.Grains.Storage;

/// <summary>
/// Group commit for task changes: changes from many task grains that arrive while a write is under way go to
/// PostgreSQL together, as one batch in one implicit transaction with one commit (one WAL flush), and each caller is
/// answered only after that commit. A change whose version no longer matches writes nothing and fails alone; a batch
/// that fails as a whole is written again change by change, so one bad change never fails the others.
/// </summary>
public sealed class PostgresWriteBatcher : IAsyncDisposable
{
    /// <summary>Most changes in one batch.</summary>
    public const int MaxBatch = 128;

    /// <summary>Batches written at once, each on its own connection.</summary>
    public const int Writers = 4;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _writers;

    public PostgresWriteBatcher(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _writers = [.. Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync))];
    }

    /// <summary>
    /// Writes a change and returns what its single result row says (the new version), or null when no row came back.
    /// </summary>
    /// <param name="commands">The change's statements; the last one's first row is the answer.</param>
    /// <param name="lockKey">The lock the change takes, if any: a batch takes its locks in key order, so two batches
    /// never wait on each other's locks in a circle.</param>
    public Task<long?> WriteAsync(IReadOnlyList<NpgsqlBatchCommand> commands, string? lockKey)
    {
        var pending = new PendingWrite(commands, lockKey);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(PostgresWriteBatcher));
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
        var batch = new List<PendingWrite>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            batch.Sort(static (a, b) => string.CompareOrdinal(a.LockKey, b.LockKey));
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

    private async Task WriteAloneAsync(PendingWrite write)
    {
        try
        {
            await WriteTogetherAsync([write]);
        }
        catch (Exception e)
        {
            write.Answer.TrySetException(e);
        }
    }

    private async Task WriteTogetherAsync(List<PendingWrite> writes)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var write in writes)
        {
            foreach (var command in write.Commands)
            {
                // A command belongs to one batch at a time; a retried write gets copies.
                batch.BatchCommands.Add(Copy(command));
            }
        }

        var answers = new long?[writes.Count];
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            var first = true;
            for (var w = 0; w < writes.Count; w++)
            {
                for (var c = 0; c < writes[w].Commands.Count; c++)
                {
                    if (!first)
                    {
                        await reader.NextResultAsync();
                    }

                    first = false;
                    if (c == writes[w].Commands.Count - 1 && await reader.ReadAsync())
                    {
                        answers[w] = reader.GetInt64(0);
                    }
                }
            }
        }

        // Reaching here means the implicit transaction committed: only now is any caller answered.
        for (var w = 0; w < writes.Count; w++)
        {
            writes[w].Answer.TrySetResult(answers[w]);
        }
    }

    private static NpgsqlBatchCommand Copy(NpgsqlBatchCommand command)
    {
        var copy = new NpgsqlBatchCommand(command.CommandText);
        foreach (NpgsqlParameter parameter in command.Parameters)
        {
            copy.Parameters.Add(parameter.Clone());
        }

        return copy;
    }

    private sealed record PendingWrite(IReadOnlyList<NpgsqlBatchCommand> Commands, string? LockKey)
    {
        public TaskCompletionSource<long?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
