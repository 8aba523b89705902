using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Dispatch.Tasks;

namespace Dispatch.Grains.Storage;

/// <summary>
/// Every lease a task ever had, in the order they were granted, indexed by lease id and by worker. An exam task is
/// leased once by every worker who takes the exam: with these indexes one lease more, or one lease ended, costs
/// O(log n) whether ten or a hundred thousand workers came before, where a plain array was copied whole.
/// </summary>
[CollectionBuilder(typeof(TaskLeases), nameof(Create))]
public sealed class TaskLeases : IReadOnlyList<LeaseRecord>
{
    public static readonly TaskLeases Empty = new(
        [],
        ImmutableDictionary.Create<string, int>(StringComparer.Ordinal),
        ImmutableHashSet.Create<string>(StringComparer.Ordinal),
        ImmutableHashSet.Create<string>(StringComparer.Ordinal),
        []);

    private readonly ImmutableList<LeaseRecord> _all;
    private readonly ImmutableDictionary<string, int> _positionById;
    private readonly ImmutableHashSet<string> _taskWorkers;
    private readonly ImmutableHashSet<string> _reviewers;

    // Positions, so that the active leases come in the order they were granted.
    private readonly ImmutableSortedSet<int> _active;

    private TaskLeases(
        ImmutableList<LeaseRecord> all, ImmutableDictionary<string, int> positionById, ImmutableHashSet<string> taskWorkers,
        ImmutableHashSet<string> reviewers, ImmutableSortedSet<int> active)
    {
        _all = all;
        _positionById = positionById;
        _taskWorkers = taskWorkers;
        _reviewers = reviewers;
        _active = active;
    }

    public static TaskLeases Create(ReadOnlySpan<LeaseRecord> leases)
    {
        if (leases.IsEmpty)
        {
            return Empty;
        }

        var all = ImmutableList.CreateBuilder<LeaseRecord>();
        var positions = Empty._positionById.ToBuilder();
        var taskWorkers = Empty._taskWorkers.ToBuilder();
        var reviewers = Empty._reviewers.ToBuilder();
        var active = ImmutableSortedSet.CreateBuilder<int>();
        foreach (var lease in leases)
        {
            positions.Add(lease.LeaseId, all.Count);
            (lease.IsReview ? reviewers : taskWorkers).Add(lease.WorkerId);
            if (lease.State == LeaseState.Active)
            {
                active.Add(all.Count);
            }

            all.Add(lease);
        }

        return new(all.ToImmutable(), positions.ToImmutable(), taskWorkers.ToImmutable(), reviewers.ToImmutable(), active.ToImmutable());
    }

    public int Count => _all.Count;

    public LeaseRecord this[int index] => _all[index];

    /// <summary>The leases still active, in the order they were granted.</summary>
    // Most tasks, most of the time, have none: no enumerator to build then (a snapshot and each rule read this).
    public IEnumerable<LeaseRecord> Active => _active.IsEmpty ? [] : _active.Select(p => _all[p]);

    public int ActiveCount => _active.Count;

    /// <summary>Who ever held a task lease (each worker may, once), in the order they did.</summary>
    public IEnumerable<string> TaskWorkers => _all.Where(l => !l.IsReview).Select(l => l.WorkerId);

    /// <summary>Who ever held a review lease, in the order they did.</summary>
    public IEnumerable<string> Reviewers => _all.Where(l => l.IsReview).Select(l => l.WorkerId);

    public LeaseRecord? Find(string leaseId) => _positionById.TryGetValue(leaseId, out var position) ? _all[position] : null;

    public bool HeldTaskLease(string workerId) => _taskWorkers.Contains(workerId);

    public bool Reviewed(string workerId) => _reviewers.Contains(workerId);

    /// <summary>Whether the worker held a lease of either kind.</summary>
    public bool Touched(string workerId) => _taskWorkers.Contains(workerId) || _reviewers.Contains(workerId);

    public TaskLeases Add(LeaseRecord lease) => new(
        _all.Add(lease),
        _positionById.Add(lease.LeaseId, _all.Count),
        lease.IsReview ? _taskWorkers : _taskWorkers.Add(lease.WorkerId),
        lease.IsReview ? _reviewers.Add(lease.WorkerId) : _reviewers,
        lease.State == LeaseState.Active ? _active.Add(_all.Count) : _active);

    /// <summary>The leases with <paramref name="updated"/> in place of the lease of the same id.</summary>
    public TaskLeases Replace(LeaseRecord updated)
    {
        var position = _positionById.TryGetValue(updated.LeaseId, out var p)
            ? p
            : throw new ArgumentException($"Lease '{updated.LeaseId}' is not one of the task's.", nameof(updated));
        return new(
            _all.SetItem(position, updated),
            _positionById,
            _taskWorkers,
            _reviewers,
            updated.State == LeaseState.Active ? _active.Add(position) : _active.Remove(position));
    }

    public IEnumerator<LeaseRecord> GetEnumerator() => _all.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
