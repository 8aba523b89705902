namespace Dispatch.Client;

public static class DispatchImports
{
    /// <summary>The server's default limit of tasks in one import call.</summary>
    public const int DefaultBatchSize = 10_000;

    /// <summary>
    /// Imports any number of tasks, <paramref name="batchSize"/> per call, in order, reporting after each stored batch.
    /// Each batch is all-or-nothing on the server; when a batch fails, the earlier ones stay stored and the exception
    /// says which. Give every task an id to make the whole import safe to run again (repeats count as existing).
    /// </summary>
    /// <returns>Every id in input order, generated ones included.</returns>
    public static async Task<IReadOnlyList<string>> ImportAllAsync(
        this DispatchClient client,
        string projectId,
        IEnumerable<NewTask> tasks,
        IProgress<ImportProgress>? progress = null,
        int batchSize = DefaultBatchSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var ids = new List<string>();
        var (created, existing, batches) = (0, 0, 0);
        foreach (var batch in tasks.Chunk(batchSize))
        {
            var result = await client.ImportTasksAsync(projectId, batch, cancellationToken);
            ids.AddRange(result.Ids);
            (created, existing, batches) = (created + result.Created, existing + result.Existing, batches + 1);
            progress?.Report(new ImportProgress(ids.Count, created, existing, batches));
        }

        return ids;
    }
}
