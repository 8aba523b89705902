using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// Who ever held a lease of one kind on a task, as its queue shard keeps it: an array while small (most tasks see a
/// few workers), a hash set once large (every worker who takes an exam leases each of its tasks), so that asking for
/// one worker and adding one cost about the same with ten workers or a hundred thousand.
/// </summary>
[CollectionBuilder(typeof(WorkerSet), nameof(Create))]
public sealed class WorkerSet : IEnumerable<string>
{
    // Past this, an array's linear search and copy-on-add cost more than a hash set's lookups and its allocations.
    private const int LargestArray = 16;

    public static readonly WorkerSet Empty = new([], null);

    private readonly ImmutableArray<string> _few;
    private readonly ImmutableHashSet<string>? _many;

    private WorkerSet(ImmutableArray<string> few, ImmutableHashSet<string>? many)
    {
        _few = few;
        _many = many;
    }

    public static WorkerSet Create(ReadOnlySpan<string> workers) => Empty.With(workers);

    public bool IsEmpty => Count == 0;

    public int Count => _many?.Count ?? _few.Length;

    // ImmutableArray's own search: the LINQ overload with a comparer would box the array on every claim's check.
    public bool Contains(string workerId) => _many?.Contains(workerId) ?? _few.IndexOf(workerId, 0, _few.Length, StringComparer.Ordinal) >= 0;

    /// <summary>The set with <paramref name="joined"/> added (those already in it are not added twice).</summary>
    public WorkerSet With(ReadOnlySpan<string> joined)
    {
        if (joined.IsEmpty)
        {
            return this;
        }

        if (_many is null && _few.Length + joined.Length <= LargestArray)
        {
            var few = _few.ToBuilder();
            foreach (var worker in joined)
            {
                if (few.IndexOf(worker, 0, few.Count, StringComparer.Ordinal) < 0)
                {
                    few.Add(worker);
                }
            }

            return new(few.ToImmutable(), null);
        }

        var many = (_many ?? ImmutableHashSet.CreateRange(StringComparer.Ordinal, _few)).ToBuilder();
        foreach (var worker in joined)
        {
            many.Add(worker);
        }

        return new([], many.ToImmutable());
    }

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>?)_many ?? _few).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
