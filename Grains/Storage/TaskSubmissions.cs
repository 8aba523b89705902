using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Dispatch.Tasks;

namespace Dispatch.Grains.Storage;

/// <summary>
/// Every submission of a task, in the order they were stored, indexed by worker (a worker submits at most once per
/// task), with the counts a task decides on kept as they change: one submission more costs O(log n) on an exam task
/// that every worker answers, not a copy of all of them.
/// </summary>
[CollectionBuilder(typeof(TaskSubmissions), nameof(Create))]
public sealed class TaskSubmissions : IReadOnlyList<SubmissionRecord>
{
    public static readonly TaskSubmissions Empty = new([], ImmutableDictionary.Create<string, int>(StringComparer.Ordinal), [], 0);

    private readonly ImmutableList<SubmissionRecord> _all;
    private readonly ImmutableDictionary<string, int> _positionByWorker;
    private readonly ImmutableSortedSet<int> _pending;

    private TaskSubmissions(ImmutableList<SubmissionRecord> all, ImmutableDictionary<string, int> positionByWorker, ImmutableSortedSet<int> pending, int accepted)
    {
        _all = all;
        _positionByWorker = positionByWorker;
        _pending = pending;
        Accepted = accepted;
    }

    public static TaskSubmissions Create(ReadOnlySpan<SubmissionRecord> submissions)
    {
        var result = Empty;
        foreach (var submission in submissions)
        {
            result = result.Add(submission);
        }

        return result;
    }

    public int Count => _all.Count;

    public SubmissionRecord this[int index] => _all[index];

    /// <summary>How many were accepted.</summary>
    public int Accepted { get; }

    /// <summary>How many hold a slot: pending and accepted ones (a rejected one gave it back).</summary>
    public int HoldingSlots => Accepted + _pending.Count;

    /// <summary>Those waiting for a verdict, in the order they were stored.</summary>
    public IEnumerable<SubmissionRecord> Pending => _pending.IsEmpty ? [] : _pending.Select(p => _all[p]);

    public int PendingCount => _pending.Count;

    public SubmissionRecord? Of(string workerId) => _positionByWorker.TryGetValue(workerId, out var position) ? _all[position] : null;

    public TaskSubmissions Add(SubmissionRecord submission) => new(
        _all.Add(submission),
        _positionByWorker.SetItem(submission.WorkerId, _all.Count),
        submission.State == SubmissionState.Pending ? _pending.Add(_all.Count) : _pending,
        Accepted + (submission.State == SubmissionState.Accepted ? 1 : 0));

    /// <summary>The submissions with <paramref name="decided"/> in place of the same worker's.</summary>
    public TaskSubmissions Replace(SubmissionRecord decided)
    {
        var position = _positionByWorker.TryGetValue(decided.WorkerId, out var p)
            ? p
            : throw new ArgumentException($"Worker '{decided.WorkerId}' has no submission on the task.", nameof(decided));
        var before = _all[position];
        return new(
            _all.SetItem(position, decided),
            _positionByWorker,
            decided.State == SubmissionState.Pending ? _pending.Add(position) : _pending.Remove(position),
            Accepted - (before.State == SubmissionState.Accepted ? 1 : 0) + (decided.State == SubmissionState.Accepted ? 1 : 0));
    }

    public IEnumerator<SubmissionRecord> GetEnumerator() => _all.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
