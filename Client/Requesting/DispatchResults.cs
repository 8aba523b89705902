using System.Runtime.CompilerServices;

namespace Dispatch.Client;

public static class DispatchResults
{
    /// <summary>
    /// Every completed task of a project in completion order, page by page (<paramref name="pageSize"/> 1..1000),
    /// following the <c>next</c> cursor to the end. Start from a cursor saved earlier with <paramref name="after"/>.
    /// </summary>
    public static async IAsyncEnumerable<CompletedTask> ExportResultsAsync(
        this DispatchClient client,
        string projectId,
        string? after = null,
        int pageSize = 1000,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var cursor = after;
        do
        {
            var page = await client.ListResultsAsync(projectId, cursor, pageSize, cancellationToken);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            cursor = page.Next;
        }
        while (cursor is not null);
    }
}
