using System.Globalization;

namespace Dispatch.Bench;

/// <summary>
/// CPU time of processes from <c>/proc/&lt;pid&gt;/stat</c>: utime + stime + cutime + cstime of the process and of all its
/// live descendants, so a server that forks workers (PostgreSQL) is measured whole, including backends that exit
/// during the run (their time moves into the parent's cutime/cstime when they are reaped).
/// </summary>
public static class CpuMeter
{
    // USER_HZ is 100 on every Linux the benchmark targets.
    private const double TicksPerSecond = 100.0;

    public static double TreeSeconds(int pid)
    {
        long ticks = 0;
        var seen = new HashSet<int>();
        var pending = new Stack<int>();
        pending.Push(pid);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (!seen.Add(current))
            {
                continue;
            }

            ticks += ProcessTicks(current);
            foreach (var child in Children(current))
            {
                pending.Push(child);
            }
        }

        return ticks / TicksPerSecond;
    }

    private static long ProcessTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may contain spaces: split after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
            return Parse(fields[11]) + Parse(fields[12]) + Parse(fields[13]) + Parse(fields[14]);
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static IEnumerable<int> Children(int pid)
    {
        var result = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children"));
                foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    result.Add(int.Parse(part, CultureInfo.InvariantCulture));
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return result;
    }

    private static long Parse(string value) => long.Parse(value, CultureInfo.InvariantCulture);
}
