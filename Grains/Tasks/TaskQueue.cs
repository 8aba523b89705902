using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// A queue shard's memory, as a plain class: the tasks that may still change, the ones with a free slot in
/// claim order, and the shard's counts kept exact by adding each task's new snapshot and taking out its old one.
/// </summary>
public sealed class TaskQueue
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly SortedSet<Entry> _ready = new(Entry.ClaimOrder);
    private readonly HashSet<Entry> _leased = [];

    // Tasks completed lately, so that news of one arriving after its completion is recognised as old. News travels
    // in milliseconds, so a bounded memory of recent completions is enough and does not grow with the project.
    private const int RecentCompletionsKept = 4096;
    private readonly HashSet<string> _recentlyCompleted = new(StringComparer.Ordinal);
    private readonly Queue<string> _completionOrder = new();

    public ProjectCounts Counts { get; private set; } = ProjectCounts.Zero;

    public int ReadyCount => _ready.Count;

    public void Load(ShardSnapshot snapshot)
    {
        Counts = ProjectCounts.Zero;
        _entries.Clear();
        _ready.Clear();
        _leased.Clear();
        foreach (var task in snapshot.Tasks)
        {
            Track(new Entry(task));
        }

        // The completed tasks are not kept, only counted.
        Counts = snapshot.Counts;
    }

    /// <summary>Whether the shard holds this task, or completed it lately.</summary>
    public bool Knows(string taskId) => _entries.ContainsKey(taskId) || _recentlyCompleted.Contains(taskId);

    /// <summary>Takes in a task's snapshot unless a newer one is already known.</summary>
    public void Apply(TaskSnapshot snapshot)
    {
        if (_entries.TryGetValue(snapshot.TaskId, out var entry))
        {
            if (snapshot.Version <= entry.Snapshot.Version)
            {
                return;
            }

            Untrack(entry);
            entry.Snapshot = snapshot;
        }
        else if (snapshot.State == TaskState.Completed || _recentlyCompleted.Contains(snapshot.TaskId))
        {
            // Every task this shard offers is known to it, so this is news of a task already counted as completed.
            return;
        }
        else
        {
            entry = new Entry(snapshot);
        }

        Counts = Counts.Add(Contribution(snapshot));
        if (snapshot.State != TaskState.Completed)
        {
            Index(entry);
        }
        else
        {
            RememberCompleted(snapshot.TaskId);
        }
    }

    private void RememberCompleted(string taskId)
    {
        if (_recentlyCompleted.Add(taskId))
        {
            _completionOrder.Enqueue(taskId);
        }

        if (_completionOrder.Count > RecentCompletionsKept)
        {
            _recentlyCompleted.Remove(_completionOrder.Dequeue());
        }
    }

    /// <summary>The first task in claim order the worker may take, with a slot held for it; null when none.</summary>
    public Entry? Reserve(string workerId)
    {
        var entry = Peek(workerId);
        if (entry is not null)
        {
            entry.Reserved++;
        }

        return entry;
    }

    /// <summary>The first task in claim order the worker (or, without one, anyone) may take; null when none.</summary>
    public Entry? Peek(string? workerId)
    {
        foreach (var entry in _ready)
        {
            if (entry.Reserved < entry.Snapshot.FreeSlots && (workerId is null || !entry.Snapshot.Workers.Contains(workerId)))
            {
                return entry;
            }
        }

        return null;
    }

    public void Unreserve(Entry entry) => entry.Reserved--;

    /// <summary>The ready tasks from <paramref name="first"/> on, in claim order.</summary>
    public IEnumerable<Entry> ReadyFrom(Entry first) =>
        _ready.Contains(first) ? _ready.GetViewBetween(first, _ready.Max!) : [];

    public void Drop(Entry entry)
    {
        if (_entries.TryGetValue(entry.Snapshot.TaskId, out var known) && ReferenceEquals(known, entry))
        {
            Untrack(entry);
        }
    }

    /// <summary>Tasks whose earliest active lease should have expired before <paramref name="cutoff"/>.</summary>
    public IReadOnlyList<string> OverdueTasks(DateTimeOffset cutoff) =>
        [.. _leased.Where(e => e.Snapshot.NextExpiry < cutoff).Select(e => e.Snapshot.TaskId)];

    private void Track(Entry entry)
    {
        Counts = Counts.Add(Contribution(entry.Snapshot));
        Index(entry);
    }

    private void Index(Entry entry)
    {
        _entries[entry.Snapshot.TaskId] = entry;
        if (entry.Snapshot.State == TaskState.Open && entry.Snapshot.FreeSlots > 0)
        {
            _ready.Add(entry);
        }

        if (entry.Snapshot.ActiveLeases > 0)
        {
            _leased.Add(entry);
        }
    }

    private void Untrack(Entry entry)
    {
        Counts = Counts.Add(Negate(Contribution(entry.Snapshot)));
        _entries.Remove(entry.Snapshot.TaskId);
        _ready.Remove(entry);
        _leased.Remove(entry);
    }

    private static ProjectCounts Contribution(TaskSnapshot task) => new(
        task.State == TaskState.Open ? 1 : 0,
        task.State == TaskState.Completed ? 1 : 0,
        task.State == TaskState.DeadLettered ? 1 : 0,
        task.ActiveLeases,
        task.Submissions);

    private static ProjectCounts Negate(ProjectCounts c) => new(-c.Open, -c.Completed, -c.DeadLettered, -c.ActiveLeases, -c.Submissions);

    public sealed class Entry(TaskSnapshot snapshot)
    {
        public static readonly IComparer<Entry> ClaimOrder = Comparer<Entry>.Create(static (x, y) =>
        {
            var byClaimOrder = QueueHead.Compare(x.Snapshot.Priority, x.Snapshot.Sequence, y.Snapshot.Priority, y.Snapshot.Sequence);
            return byClaimOrder != 0 ? byClaimOrder : string.CompareOrdinal(x.Snapshot.TaskId, y.Snapshot.TaskId);
        });

        public TaskSnapshot Snapshot { get; set; } = snapshot;

        /// <summary>Claims in flight on this task: slots held until the task answers.</summary>
        public int Reserved { get; set; }
    }
}
