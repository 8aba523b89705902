namespace Dispatch.Grains.Tasks;

/// <summary>
/// The ready tasks of one priority, as slot numbers of a <see cref="QueueTable"/> in claim order, kept in sorted
/// blocks of at most <see cref="BlockSize"/>. Tasks mostly arrive in sequence order and leave from the front, so the
/// common changes are an append to the last block and a step forward in the first; a task that comes back into the
/// middle (a lease expired, a retry) is found by binary search and moves at most a block's worth of numbers.
/// </summary>
internal sealed class PriorityRun(int priority, QueueTable table)
{
    /// <summary>Large enough that a million tasks make few blocks, small enough that a task placed inside moves little.</summary>
    public const int BlockSize = 512;

    private const int FirstBlockSize = 16;

    // Blocks before _first are emptied ones, taken out of the list only when they are at least half of it, so that
    // emptying the first block does not move every other block each time.
    private readonly List<Block> _blocks = [];
    private int _first;

    public int Priority { get; } = priority;

    public int Count { get; private set; }

    public void Add(int slot)
    {
        Count++;
        if (_first == _blocks.Count)
        {
            _blocks.Clear();
            _first = 0;
            _blocks.Add(new Block(FirstBlockSize));
        }

        var last = _blocks[^1];
        if (last.Count == 0 || Compare(slot, last.Last) > 0)
        {
            if (last.Count == BlockSize)
            {
                last = new Block(BlockSize);
                _blocks.Add(last);
            }

            last.Insert(last.Count, slot);
            return;
        }

        var at = BlockFor(slot);
        var block = _blocks[at];
        if (block.Count == BlockSize)
        {
            var upper = block.SplitUpperHalf();
            _blocks.Insert(at + 1, upper);
            if (Compare(slot, upper.First) > 0)
            {
                block = upper;
            }
        }

        block.Insert(PositionIn(block, slot), slot);
    }

    /// <summary>Takes the slot out; false when it is not here.</summary>
    public bool Remove(int slot)
    {
        if (!Locate(slot, out var at, out var position))
        {
            return false;
        }

        var block = _blocks[at];
        block.RemoveAt(position);
        Count--;
        if (block.Count == 0 && at == _first)
        {
            block.Release();
            _first++;
            DropEmptiedBlocks();
        }
        else if (block.Count == 0)
        {
            _blocks.RemoveAt(at);
        }
        else if (at > _first && _blocks[at - 1].Count + block.Count <= BlockSize / 2)
        {
            // Two neighbours both mostly emptied become one, so that scattered removals leave no trail of sparse blocks.
            _blocks[at - 1].Append(block);
            _blocks.RemoveAt(at);
        }

        return true;
    }

    public bool Contains(int slot) => Locate(slot, out _, out _);

    /// <summary>The slots in claim order.</summary>
    public IEnumerable<int> All() => From(_first, 0);

    /// <summary>The slots in claim order from <paramref name="slot"/> on, which must be here.</summary>
    public IEnumerable<int> From(int slot) =>
        Locate(slot, out var at, out var position) ? From(at, position) : throw new ArgumentException($"Slot {slot} is not in this run.", nameof(slot));

    private IEnumerable<int> From(int at, int position)
    {
        for (; at < _blocks.Count; at++, position = 0)
        {
            var block = _blocks[at];
            for (; position < block.Count; position++)
            {
                yield return block[position];
            }
        }
    }

    private bool Locate(int slot, out int at, out int position)
    {
        at = BlockFor(slot);
        position = at < _blocks.Count ? PositionIn(_blocks[at], slot) : 0;
        return at < _blocks.Count && position < _blocks[at].Count && _blocks[at][position] == slot;
    }

    /// <summary>The first block whose last slot is not before <paramref name="slot"/>; the block count when none.</summary>
    private int BlockFor(int slot)
    {
        int low = _first, high = _blocks.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (Compare(_blocks[middle].Last, slot) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>The position of the first slot in the block that is not before <paramref name="slot"/>.</summary>
    private int PositionIn(Block block, int slot)
    {
        int low = 0, high = block.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (Compare(block[middle], slot) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private void DropEmptiedBlocks()
    {
        if (_first == _blocks.Count)
        {
            _blocks.Clear();
            _first = 0;
        }
        else if (_first * 2 >= _blocks.Count)
        {
            _blocks.RemoveRange(0, _first);
            _first = 0;
        }
    }

    private int Compare(int a, int b) => table.CompareInClaimOrder(a, b);

    /// <summary>Slot numbers in order between <c>_start</c> and <c>_end</c> of an array that grows up to a block.</summary>
    private sealed class Block(int capacity)
    {
        private int[] _items = new int[capacity];
        private int _start;
        private int _end;

        public int Count => _end - _start;

        public int First => _items[_start];

        public int Last => _items[_end - 1];

        public int this[int position] => _items[_start + position];

        public void Insert(int position, int slot)
        {
            if (position == 0 && _start > 0)
            {
                // A task coming back to the front of the first block takes the room its predecessors left.
                _items[--_start] = slot;
                return;
            }

            if (_end == _items.Length)
            {
                MakeRoom();
            }

            Array.Copy(_items, _start + position, _items, _start + position + 1, Count - position);
            _items[_start + position] = slot;
            _end++;
        }

        public void RemoveAt(int position)
        {
            if (position == 0)
            {
                _start++;
            }
            else
            {
                Array.Copy(_items, _start + position + 1, _items, _start + position, Count - position - 1);
                _end--;
            }
        }

        public void Append(Block other)
        {
            for (var position = 0; position < other.Count; position++)
            {
                Insert(Count, other[position]);
            }
        }

        /// <summary>Moves the upper half of this full block into a new block and returns it.</summary>
        public Block SplitUpperHalf()
        {
            var upper = new Block(BlockSize);
            var half = Count / 2;
            Array.Copy(_items, _start + half, upper._items, 0, Count - half);
            upper._end = Count - half;
            _end = _start + half;
            return upper;
        }

        /// <summary>Lets go of the array of an emptied block that waits to be taken out of the list.</summary>
        public void Release()
        {
            _items = [];
            _start = _end = 0;
        }

        private void MakeRoom()
        {
            if (_start > 0)
            {
                Array.Copy(_items, _start, _items, 0, Count);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _items, Math.Min(_items.Length * 2, BlockSize));
            }
        }
    }
}
