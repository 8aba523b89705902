using System.Collections.Immutable;
using Dispatch.Tasks;

namespace Dispatch.Grains.Storage;

/// <summary>
/// A project's tasks as the memory store keeps them: one <see cref="TaskSlot"/> per task in chunked arrays, found
/// by id through an open-addressing index of slot numbers. A queued task then costs a 40-byte slot and 8 to 16
/// bytes of index, where an object per task in a <see cref="Dictionary{TKey, TValue}"/> costs an object header
/// and a 24-byte entry, up to twice over after the dictionary grows. Tasks are never removed, so the index needs
/// no tombstones and a slot number never changes. Not thread-safe: the owner holds a lock.
/// </summary>
internal sealed class TaskTable
{
    // 4,096 slots a chunk: large enough that a million tasks make few arrays, small enough that the last one,
    // partly filled, wastes little.
    private const int ChunkShift = 12;
    private const int ChunkSlots = 1 << ChunkShift;
    private const int FirstChunkSlots = 16;

    private readonly List<TaskSlot[]> _chunks = [];

    // Slot number + 1 per entry, 0 when free; at most half full, so that a probe for an unknown id ends soon.
    private int[] _index = new int[16];

    public int Count { get; private set; }

    public ref TaskSlot this[int number] => ref _chunks[number >> ChunkShift][number & (ChunkSlots - 1)];

    /// <summary>The slot number of the task, or -1 when the table does not hold it.</summary>
    public int Find(string taskId)
    {
        var mask = _index.Length - 1;
        for (var i = Hash(taskId) & mask; ; i = (i + 1) & mask)
        {
            var entry = _index[i];
            if (entry == 0)
            {
                return -1;
            }

            if (string.Equals(this[entry - 1].TaskId, taskId, StringComparison.Ordinal))
            {
                return entry - 1;
            }
        }
    }

    /// <summary>A new slot holding only <paramref name="taskId"/>, which the table must not hold yet.</summary>
    public ref TaskSlot Add(string taskId)
    {
        if ((Count + 1) * 2 > _index.Length)
        {
            Reindex(_index.Length * 2);
        }

        var number = Count;
        if ((number & (ChunkSlots - 1)) == 0 && number >> ChunkShift == _chunks.Count)
        {
            _chunks.Add(new TaskSlot[_chunks.Count == 0 ? FirstChunkSlots : ChunkSlots]);
        }
        else if (_chunks.Count == 1 && number == _chunks[0].Length)
        {
            // Only the first chunk starts short (small projects are many); slot numbers stay as they are when it grows.
            var first = _chunks[0];
            Array.Resize(ref first, Math.Min(first.Length * 2, ChunkSlots));
            _chunks[0] = first;
        }

        ref var slot = ref this[number];
        slot.TaskId = taskId;
        Insert(taskId, number);
        Count++;
        return ref slot;
    }

    private void Reindex(int length)
    {
        _index = new int[length];
        for (var number = 0; number < Count; number++)
        {
            Insert(this[number].TaskId, number);
        }
    }

    private void Insert(string taskId, int number)
    {
        var mask = _index.Length - 1;
        var i = Hash(taskId) & mask;
        while (_index[i] != 0)
        {
            i = (i + 1) & mask;
        }

        _index[i] = number + 1;
    }

    private static int Hash(string taskId) => StringComparer.Ordinal.GetHashCode(taskId);
}

/// <summary>
/// One stored task. The id is the very string the queue shards hold for the task, so it is kept once; the texts are
/// a position in the project's <see cref="TaskTextArena"/>. Everything that changes after the import waits in
/// <see cref="Activity"/>, which most queued tasks never need: until then the task is open at version 1.
/// </summary>
internal struct TaskSlot
{
    public string TaskId;
    public TaskActivity? Activity;
    public long Sequence;
    public long Texts;
    public int Shard;
    public int Priority;

    public readonly long Version => Activity?.Version ?? 1;

    public readonly TaskState State => Activity?.State ?? TaskState.Open;

    public readonly int FailedAttempts => Activity?.FailedAttempts ?? 0;
}

/// <summary>What a task has been through since it was imported; replaced on each change, its collections shared.</summary>
internal sealed record TaskActivity(
    long Version,
    TaskState State,
    int FailedAttempts,
    TaskLeases Leases,
    TaskSubmissions Submissions,
    DateTimeOffset CompletedAt);
