using System.Collections.Immutable;
using System.Text;
using Dispatch.Common;

namespace Dispatch.Grains.Storage;

/// <summary>
/// How the bytes of a listing page are counted: the UTF-8 JSON of each item's payload and of the results it carries.
/// Leases, times and ids are small beside them and left out. PostgreSQL counts the same with <c>octet_length</c>.
/// </summary>
public static class PageBytes
{
    public static long Of(TaskRecord task) => Text(task.PayloadJson) + Of(task.Submissions);

    public static long Of(CompletedTaskRecord task) => Text(task.PayloadJson) + Of(task.Submissions);

    public static long Of(SubmissionRecord submission) => Text(submission.ResultJson);

    /// <summary>
    /// The first items of <paramref name="ordered"/> that fit both bounds; the first one always, whatever its size. The
    /// page says there may be more when it stopped at either bound.
    /// </summary>
    public static ListPage<T> Take<T>(IEnumerable<T> ordered, int limit, long maxBytes, Func<T, long> bytes)
    {
        var page = ImmutableArray.CreateBuilder<T>();
        long total = 0;
        foreach (var item in ordered)
        {
            if (page.Count == limit)
            {
                break;
            }

            total += bytes(item);
            if (page.Count > 0 && total > maxBytes)
            {
                return new ListPage<T>(page.ToImmutable(), true);
            }

            page.Add(item);
        }

        return new ListPage<T>(page.ToImmutable(), page.Count == limit);
    }

    private static long Of(IEnumerable<SubmissionRecord> submissions) => submissions.Sum(Of);

    private static long Text(string json) => Encoding.UTF8.GetByteCount(json);
}
