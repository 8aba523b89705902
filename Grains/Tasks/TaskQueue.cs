using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// A queue shard's memory, as a plain class: the tasks that may still change, the ones with a free slot in
/// claim order, and the shard's counts kept exact by adding each task's new snapshot and taking out its old one.
/// A shard may hold a million tasks, so it keeps of each only the fields it reads, in a table slot
/// (<see cref="QueueTable"/>), and keeps no snapshot.
/// </summary>
public sealed class TaskQueue
{
    private static readonly Comparer<TaskSnapshot> SnapshotClaimOrder = Comparer<TaskSnapshot>.Create(static (x, y) =>
    {
        var byClaimOrder = QueueHead.Compare(x.Priority, x.Sequence, y.Priority, y.Sequence);
        return byClaimOrder != 0 ? byClaimOrder : string.CompareOrdinal(x.TaskId, y.TaskId);
    });

    private readonly QueueTable _tasks = new();
    private readonly ClaimOrder _ready;
    private readonly HashSet<int> _leased = [];

    // Tasks with a submission pending review: few, and only in projects with review, so a set beside the table.
    private readonly HashSet<int> _pending = [];

    // Tasks with a pending submission no review lease holds (crowd review), and the review claims in flight on each.
    private readonly HashSet<int> _reviewable = [];
    private readonly Dictionary<int, int> _reviewsReserved = [];

    // Claims in flight per slot: slots held until the task answers. Few tasks have one at a time, so the count
    // is kept here rather than in every slot.
    private readonly Dictionary<int, int> _reserved = [];

    // Tasks completed lately, so that news of one arriving after its completion is recognised as old. News travels
    // in milliseconds, so a bounded memory of recent completions is enough and does not grow with the project.
    private const int RecentCompletionsKept = 4096;
    private readonly HashSet<string> _recentlyCompleted = new(StringComparer.Ordinal);
    private readonly Queue<string> _completionOrder = new();

    public TaskQueue() => _ready = new ClaimOrder(_tasks);

    public ProjectCounts Counts { get; private set; } = ProjectCounts.Zero;

    public int ReadyCount => _ready.Count;

    public void Load(ShardSnapshot snapshot)
    {
        _tasks.Clear();
        _ready.Clear();
        _leased.Clear();
        _pending.Clear();
        _reviewable.Clear();
        _reserved.Clear();
        _reviewsReserved.Clear();

        // Storage lists a shard's tasks in no particular order; taken in claim order, each one joins the end.
        foreach (var task in snapshot.Tasks.Order(SnapshotClaimOrder))
        {
            var slot = _tasks.Find(task.TaskId);
            if (slot >= 0)
            {
                // Listed twice: the task keeps one slot.
                Untrack(slot);
            }
            else
            {
                slot = _tasks.Add(task.TaskId);
            }

            _tasks[slot].CopyFrom(task);
            Track(slot);
        }

        // The completed tasks are not kept, only counted.
        Counts = snapshot.Counts;
    }

    /// <summary>Whether the shard holds this task, or completed it lately.</summary>
    public bool Knows(string taskId) => _tasks.Find(taskId) >= 0 || _recentlyCompleted.Contains(taskId);

    /// <summary>Takes in a task's snapshot unless a newer one is already known.</summary>
    /// <returns>
    /// False, with nothing taken in, for a snapshot that names only who joined the task since a version this shard
    /// does not hold: someone who joined before is missing, and the task must be read from storage.
    /// </returns>
    public bool Apply(TaskSnapshot snapshot)
    {
        var slot = _tasks.Find(snapshot.TaskId);
        if (slot >= 0)
        {
            if (snapshot.Version <= _tasks[slot].Version)
            {
                return true;
            }

            if (snapshot.JoinedSince > _tasks[slot].Version)
            {
                return false;
            }

            Untrack(slot);
        }
        else if (snapshot.State == TaskState.Completed || _recentlyCompleted.Contains(snapshot.TaskId))
        {
            // Every task this shard offers is known to it, so this is news of a task already counted as completed.
            return true;
        }
        else if (snapshot.JoinedSince is not null)
        {
            return false;
        }
        else
        {
            slot = _tasks.Add(snapshot.TaskId);
        }

        _tasks[slot].CopyFrom(snapshot);
        if (snapshot.State != TaskState.Completed)
        {
            Track(slot);
        }
        else
        {
            Counts = Counts.Add(Contribution(slot));
            Forget(slot);
            RememberCompleted(snapshot.TaskId);
        }

        return true;
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
            _reserved[entry.Slot] = Reserved(entry.Slot) + 1;
        }

        return entry;
    }

    /// <summary>The first task in claim order the worker (or, without one, anyone) may take; null when none.</summary>
    public Entry? Peek(string? workerId)
    {
        foreach (var slot in _ready.All())
        {
            ref var task = ref _tasks[slot];
            if (Reserved(slot) < task.FreeSlots && (workerId is null || !task.Touched(workerId)))
            {
                return new Entry(this, slot, task.TaskId, review: false);
            }
        }

        return null;
    }

    /// <summary>Whether any task has a submission waiting for a reviewer (crowd review).</summary>
    public bool HasReviewItems => _reviewable.Count > 0;

    /// <summary>
    /// The first task in claim order with a review item this worker may be offered, not among
    /// <paramref name="tried"/>, with the item held for it; null when none. The task decides which item, and may still
    /// refuse (the worker reviewed every free item of it before).
    /// </summary>
    public Entry? ReserveReview(string workerId, IReadOnlySet<int> tried)
    {
        int? best = null;
        foreach (var slot in _reviewable)
        {
            ref var task = ref _tasks[slot];
            if (!tried.Contains(slot) && _reviewsReserved.GetValueOrDefault(slot) < task.ReviewItems && !task.Workers.Contains(workerId)
                && (best is not { } b || QueueHead.Compare(task.Priority, task.Sequence, _tasks[b].Priority, _tasks[b].Sequence) < 0))
            {
                best = slot;
            }
        }

        if (best is not { } chosen)
        {
            return null;
        }

        _reviewsReserved[chosen] = _reviewsReserved.GetValueOrDefault(chosen) + 1;
        return new Entry(this, chosen, _tasks[chosen].TaskId, review: true);
    }

    public void Unreserve(Entry entry)
    {
        var counts = entry.IsReview ? _reviewsReserved : _reserved;
        var left = counts.GetValueOrDefault(entry.Slot) - 1;
        if (left > 0)
        {
            counts[entry.Slot] = left;
            return;
        }

        counts.Remove(entry.Slot);
        if (!Holds(entry) && !IsReserved(entry.Slot))
        {
            // The task left the shard while this claim was in flight; nothing reads its slot any more.
            _tasks.Free(entry.Slot);
        }
    }

    /// <summary>
    /// The ready tasks from <paramref name="first"/> on, in claim order, but those another claim holds; none when
    /// <paramref name="first"/> is not ready.
    /// </summary>
    public IEnumerable<QueuedTask> UnclaimedFrom(Entry first) =>
        Holds(first) ? _ready.From(first.Slot).Where(slot => slot == first.Slot || Reserved(slot) == 0).Select(slot => _tasks[slot].Describe()) : [];

    /// <summary>Claims in flight on the entry's task, this one included.</summary>
    public int ClaimsOn(Entry entry) => Reserved(entry.Slot);

    public void Drop(Entry entry)
    {
        if (Holds(entry))
        {
            Untrack(entry.Slot);
            Forget(entry.Slot);
        }
    }

    /// <summary>Tasks whose earliest active lease should have expired before <paramref name="cutoff"/>.</summary>
    public IReadOnlyList<string> OverdueTasks(DateTimeOffset cutoff) =>
        [.. _leased.Where(slot => _tasks[slot].History!.NextExpiry < cutoff).Select(slot => _tasks[slot].TaskId)];

    /// <summary>
    /// Tasks that change without a claim of this shard taking part: those with an active lease or a submission pending
    /// review. When a silo dies between a task's stored change and its news, the task is one of these (or one whose
    /// claim failed, which the claim itself names), so these are the ones to ask again.
    /// </summary>
    public IReadOnlyList<string> InPlay() => [.. _leased.Union(_pending).Select(slot => _tasks[slot].TaskId)];

    /// <summary>When the oldest pending submission of the shard was stored; null when none is pending.</summary>
    public DateTimeOffset? OldestPendingSince() =>
        _pending.Count == 0 ? null : _pending.Min(slot => _tasks[slot].History!.PendingSince);

    /// <summary>Tasks with a submission pending since <paramref name="cutoff"/> or earlier.</summary>
    public IReadOnlyList<string> PendingSince(DateTimeOffset cutoff) =>
        [.. _pending.Where(slot => _tasks[slot].History!.PendingSince <= cutoff).Select(slot => _tasks[slot].TaskId)];

    private bool Holds(Entry entry) => _tasks.Find(entry.TaskId) == entry.Slot;

    private int Reserved(int slot) => _reserved.GetValueOrDefault(slot);

    private bool IsReserved(int slot) => _reserved.ContainsKey(slot) || _reviewsReserved.ContainsKey(slot);

    /// <summary>Counts the slot's task and offers it, as its fields now say.</summary>
    private void Track(int slot)
    {
        ref var task = ref _tasks[slot];
        Counts = Counts.Add(Contribution(slot));
        if (task.IsReady)
        {
            _ready.Add(slot);
        }

        if (task.ActiveLeases > 0)
        {
            _leased.Add(slot);
        }

        if (task.History?.PendingSince is not null)
        {
            _pending.Add(slot);
        }

        if (task.ReviewItems > 0)
        {
            _reviewable.Add(slot);
        }
    }

    /// <summary>Takes the slot's task out of the counts and the offer, as its fields say, before they change.</summary>
    private void Untrack(int slot)
    {
        ref var task = ref _tasks[slot];
        Counts = Counts.Add(Negate(Contribution(slot)));
        if (task.IsReady)
        {
            _ready.Remove(slot);
        }

        _leased.Remove(slot);
        _pending.Remove(slot);
        _reviewable.Remove(slot);
    }

    /// <summary>Takes an untracked task out of the table; its slot waits for claims still reading it.</summary>
    private void Forget(int slot)
    {
        _tasks.Unindex(slot);
        if (!IsReserved(slot))
        {
            _tasks.Free(slot);
        }
    }

    private QueuedTask Describe(Entry entry)
    {
        ref var task = ref _tasks[entry.Slot];
        return ReferenceEquals(task.TaskId, entry.TaskId)
            ? task.Describe()
            : throw new InvalidOperationException($"Task '{entry.TaskId}' left the shard and was not reserved; its entry can no longer be read.");
    }

    private ProjectCounts Contribution(int slot)
    {
        ref var task = ref _tasks[slot];
        return new(
            task.State == TaskState.Open ? 1 : 0,
            task.State == TaskState.Completed ? 1 : 0,
            task.State == TaskState.DeadLettered ? 1 : 0,
            task.ActiveLeases,
            task.Submissions);
    }

    private static ProjectCounts Negate(ProjectCounts c) => new(-c.Open, -c.Completed, -c.DeadLettered, -c.ActiveLeases, -c.Submissions);

    /// <summary>
    /// A task handed out by <see cref="Peek"/> or <see cref="Reserve"/>. It reads what the shard knows of the task
    /// now, and may be read as long as the task is in the shard or a claim holds it reserved.
    /// </summary>
    public sealed class Entry
    {
        private readonly TaskQueue _queue;

        internal Entry(TaskQueue queue, int slot, string taskId, bool review)
        {
            _queue = queue;
            Slot = slot;
            TaskId = taskId;
            IsReview = review;
        }

        public string TaskId { get; }

        /// <summary>Whether a review claim holds it (a review item), rather than a task claim (a slot).</summary>
        public bool IsReview { get; }

        public QueuedTask Task => _queue.Describe(this);

        internal int Slot { get; }
    }
}
