using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Grains.Tasks;

/// <summary>
/// Seeds of the never-leased tasks at the front of a shard's ready queue, read from storage a page at a time, so that
/// a claimed task's grain starts from its seed instead of reading storage for itself. A seed is handed out once and
/// only at the version the shard knows the task at; the window keeps a few pages at most.
/// </summary>
public sealed class TaskSeedWindow
{
    /// <summary>Tasks read in one page.</summary>
    public const int PageSize = 256;

    private const int MostKept = PageSize * 4;

    private readonly Dictionary<string, TaskSeed> _seeds = new(StringComparer.Ordinal);

    public int Count => _seeds.Count;

    /// <summary>Whether the task, as the shard knows it, is one a seed describes: open, never leased.</summary>
    public static bool Describes(QueuedTask task) => task.State == TaskState.Open && task.Workers.IsEmpty && task.Submissions == 0;

    /// <summary>The task's seed, taken out of the window; null when none is kept at the task's version.</summary>
    public TaskSeed? Take(QueuedTask task) =>
        _seeds.Remove(task.TaskId, out var seed) && seed.Version == task.Version ? seed : null;

    /// <summary>The next page of tasks to read, from the ready tasks in claim order.</summary>
    public IReadOnlyList<string> Wanted(IEnumerable<QueuedTask> ready) =>
        [.. ready.Where(t => Describes(t) && !_seeds.ContainsKey(t.TaskId)).Take(PageSize).Select(t => t.TaskId)];

    public void Add(IReadOnlyDictionary<string, TaskSeed> seeds)
    {
        if (_seeds.Count + seeds.Count > MostKept)
        {
            // Seeds left behind belong to tasks claimed some other way or changed since: none is worth keeping.
            _seeds.Clear();
        }

        foreach (var (taskId, seed) in seeds)
        {
            _seeds[taskId] = seed;
        }
    }
}
