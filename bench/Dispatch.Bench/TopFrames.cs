using System.Globalization;
using System.Text.RegularExpressions;

namespace Dispatch.Bench;

/// <summary>A frame of a CPU sample trace and the share of samples that had it anywhere on the stack.</summary>
public sealed record Frame(string Name, double InclusivePercent);

/// <summary>Reads what <c>dotnet-trace report &lt;trace&gt; topN --inclusive</c> printed for a CPU sample trace.</summary>
public static partial class TopFrames
{
    // Frames that are on the stack of all work, whatever it is, so that their share says nothing about where a cycle's
    // time goes: the native thread start, the runtime's thread pool, task and async dispatch (System.Threading and
    // System.Runtime.CompilerServices, which dotnet-trace shortens to the last part of the namespace, or drops for
    // generic types), and frames without symbols, which lump together whatever code they stand for.
    private static readonly string[] Plumbing =
    [
        "libc.so.6!start_thread", "libc.so.6!__clone3", "Missing Symbol",
        "Threading.", "CompilerServices.", "ThreadPool+", "Tasks.Task::", "Tasks.Task`", "Task`1[",
        "Tasks.AwaitTaskContinuation", "Tasks.TaskContinuation", "Tasks.TaskSchedulerAwaitTaskContinuation",
        "AsyncTaskMethodBuilder`", "AsyncValueTaskMethodBuilder`",
    ];

    /// <summary>The frames in the order listed, without pseudo-frames and plumbing (see <see cref="Shown"/>).</summary>
    public static List<Frame> Read(string path) =>
        [.. File.ReadLines(path)
            .Select(line => Row().Match(line))
            .Where(m => m.Success && Shown(m.Groups["frame"].Value))
            .Select(m => new Frame(m.Groups["frame"].Value, double.Parse(m.Groups["inclusive"].Value, CultureInfo.InvariantCulture)))];

    // The trace also files every sample under pseudo-frames (the sampling event, its payload, "Threads") that are not
    // code and hold 100% each.
    private static bool Shown(string frame) =>
        !frame.StartsWith("EventName: ", StringComparison.Ordinal) &&
        !frame.StartsWith("EventData: ", StringComparison.Ordinal) &&
        frame is not ("Threads" or "(Non-Activities)") &&
        !frame.EndsWith("!?", StringComparison.Ordinal) &&
        !Plumbing.Any(p => frame.StartsWith(p, StringComparison.Ordinal));

    // "12. Work.WorkApi+<ClaimAsync>d__2::MoveNext()     7.36%     0%"
    [GeneratedRegex(@"^\s*\d+\.\s+(?<frame>.+?)\s+(?<inclusive>[0-9.]+)%\s+[0-9.]+%\s*$")]
    private static partial Regex Row();
}
