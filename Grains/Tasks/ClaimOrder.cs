namespace Dispatch.Grains.Tasks;

/// <summary>
/// A shard's ready tasks in claim order (higher priority first, then lower sequence, then task id), as slot numbers
/// of a <see cref="QueueTable"/>: 4 bytes a task, where a sorted set spends a node object on each. A slot's priority,
/// sequence and id must not change while it is here.
/// </summary>
internal sealed class ClaimOrder(QueueTable table)
{
    // Highest priority first; projects use few priorities, so this list stays short.
    private readonly List<PriorityRun> _runs = [];
    private int _version;

    public int Count { get; private set; }

    public void Add(int slot)
    {
        var priority = table[slot].Priority;
        var at = RunAtOrAfter(priority);
        if (at == _runs.Count || _runs[at].Priority != priority)
        {
            _runs.Insert(at, new PriorityRun(priority, table));
        }

        _runs[at].Add(slot);
        Count++;
        _version++;
    }

    public void Remove(int slot)
    {
        var at = RunOf(slot);
        if (at < 0 || !_runs[at].Remove(slot))
        {
            throw new InvalidOperationException($"Slot {slot} is not in claim order.");
        }

        if (_runs[at].Count == 0)
        {
            _runs.RemoveAt(at);
        }

        Count--;
        _version++;
    }

    public void Clear()
    {
        _runs.Clear();
        Count = 0;
        _version++;
    }

    /// <summary>The ready slots in claim order.</summary>
    public IEnumerable<int> All() => Read(0, _runs.Count > 0 ? _runs[0].All() : []);

    /// <summary>The ready slots in claim order from <paramref name="slot"/> on; none when that slot is not ready.</summary>
    public IEnumerable<int> From(int slot)
    {
        var at = RunOf(slot);
        return at >= 0 && _runs[at].Contains(slot) ? Read(at, _runs[at].From(slot)) : [];
    }

    private IEnumerable<int> Read(int at, IEnumerable<int> firstRun)
    {
        var version = _version;
        foreach (var slot in firstRun.Concat(_runs.Skip(at + 1).SelectMany(run => run.All())))
        {
            yield return slot;
            if (version != _version)
            {
                throw new InvalidOperationException("The claim order changed while it was read.");
            }
        }
    }

    /// <summary>The run of the slot's priority; -1 when there is none.</summary>
    private int RunOf(int slot)
    {
        var priority = table[slot].Priority;
        var at = RunAtOrAfter(priority);
        return at < _runs.Count && _runs[at].Priority == priority ? at : -1;
    }

    /// <summary>The first run whose priority is not above <paramref name="priority"/>; the run count when none.</summary>
    private int RunAtOrAfter(int priority)
    {
        int low = 0, high = _runs.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_runs[middle].Priority > priority)
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
}
