using Dispatch.Tasks;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// The tasks a queue shard holds: one <see cref="QueueSlot"/> per task in chunked arrays, found by id through an
/// open-addressing index of slot numbers. A task then costs a 40-byte slot and 8 to 16 bytes of index, where an object
/// per task in a <see cref="Dictionary{TKey, TValue}"/> costs the object, a 24-byte entry and its bucket, up to twice
/// over after the dictionary grows. A slot taken out of the index stays as it is until it is freed, so that a
/// claim in flight still reads the task it reserved after the task left the shard.
/// </summary>
internal sealed class QueueTable
{
    // 4,096 slots a chunk: large enough that a million tasks make few arrays, small enough that the last one,
    // partly filled, wastes little. Only the first chunk starts short, since most shards hold few tasks.
    private const int ChunkShift = 12;
    private const int ChunkSlots = 1 << ChunkShift;
    private const int FirstChunkSlots = 16;

    private readonly List<QueueSlot[]> _chunks = [];
    private readonly Stack<int> _free = new();
    private int _handedOut;

    // Slot number + 1 per entry, 0 when empty; at most half full, so that a probe for an unknown id ends soon.
    private int[] _index = new int[16];

    /// <summary>Tasks in the index.</summary>
    public int Count { get; private set; }

    public ref QueueSlot this[int slot] => ref _chunks[slot >> ChunkShift][slot & (ChunkSlots - 1)];

    /// <summary>The slot of the task in the index, or -1 when the index does not hold it.</summary>
    public int Find(string taskId)
    {
        var position = PositionOf(taskId);
        return _index[position] - 1;
    }

    /// <summary>A slot holding only <paramref name="taskId"/>, which the index must not hold yet, indexed.</summary>
    public int Add(string taskId)
    {
        if ((Count + 1) * 2 > _index.Length)
        {
            Reindex(_index.Length * 2);
        }

        var slot = _free.Count > 0 ? _free.Pop() : NewSlot();
        this[slot] = new QueueSlot { TaskId = taskId };
        _index[PositionOf(taskId)] = slot + 1;
        Count++;
        return slot;
    }

    /// <summary>Takes the slot's task out of the index; the slot stays as it is until <see cref="Free"/>.</summary>
    public void Unindex(int slot)
    {
        var mask = _index.Length - 1;
        var hole = PositionOf(this[slot].TaskId);
        if (_index[hole] != slot + 1)
        {
            throw new InvalidOperationException($"Slot {slot} is not in the index.");
        }

        // Linear probing without tombstones: each entry after the hole, up to the next empty position, moves into
        // the hole unless its home position lies between the hole and itself (then a probe for it would not get there).
        for (var next = (hole + 1) & mask; _index[next] != 0; next = (next + 1) & mask)
        {
            var home = Hash(this[_index[next] - 1].TaskId) & mask;
            var staysReachable = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (!staysReachable)
            {
                _index[hole] = _index[next];
                hole = next;
            }
        }

        _index[hole] = 0;
        Count--;
    }

    /// <summary>Gives back a slot already out of the index, for another task to use.</summary>
    public void Free(int slot)
    {
        this[slot] = default;
        _free.Push(slot);
    }

    public void Clear()
    {
        _chunks.Clear();
        _free.Clear();
        _handedOut = 0;
        _index = new int[16];
        Count = 0;
    }

    /// <summary>Claim order of two slots: negative when the first is served first.</summary>
    public int CompareInClaimOrder(int a, int b)
    {
        ref var x = ref this[a];
        ref var y = ref this[b];
        var byClaimOrder = QueueHead.Compare(x.Priority, x.Sequence, y.Priority, y.Sequence);
        return byClaimOrder != 0 ? byClaimOrder : string.CompareOrdinal(x.TaskId, y.TaskId);
    }

    /// <summary>Where the task's entry is in the index, or the empty position where it would go.</summary>
    private int PositionOf(string taskId)
    {
        var mask = _index.Length - 1;
        var position = Hash(taskId) & mask;
        while (_index[position] != 0 && !string.Equals(this[_index[position] - 1].TaskId, taskId, StringComparison.Ordinal))
        {
            position = (position + 1) & mask;
        }

        return position;
    }

    private int NewSlot()
    {
        var slot = _handedOut++;
        if ((slot & (ChunkSlots - 1)) == 0 && slot >> ChunkShift == _chunks.Count)
        {
            _chunks.Add(new QueueSlot[_chunks.Count == 0 ? FirstChunkSlots : ChunkSlots]);
        }
        else if (_chunks.Count == 1 && slot == _chunks[0].Length)
        {
            // Slot numbers stay as they are when the first chunk grows.
            var first = _chunks[0];
            Array.Resize(ref first, Math.Min(first.Length * 2, ChunkSlots));
            _chunks[0] = first;
        }

        return slot;
    }

    private void Reindex(int length)
    {
        var old = _index;
        _index = new int[length];
        foreach (var entry in old)
        {
            if (entry != 0)
            {
                _index[PositionOf(this[entry - 1].TaskId)] = entry;
            }
        }
    }

    private static int Hash(string taskId) => StringComparer.Ordinal.GetHashCode(taskId);
}
