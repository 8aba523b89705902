using System.Globalization;
using System.Runtime.InteropServices;

namespace Dispatch.Tests.Infrastructure;

/// <summary>
/// A database that stops answering without refusing connections: every process of the server is stopped with
/// <c>SIGSTOP</c>, so the kernel still accepts connections on its port and keeps the open ones, but nothing is read or
/// answered until <c>SIGCONT</c>. That is what a frozen VM, a stalled disk or a black-holed network looks like to a client.
/// </summary>
public sealed partial class PostgresServer
{
    private const int SigCont = 18;
    private const int SigStop = 19;

    private bool _paused;

    /// <summary>Stops the postmaster, then every process under it; returns how many were stopped.</summary>
    public int Pause()
    {
        var postmaster = PostmasterId();
        _paused = true;

        // The postmaster first: once it is stopped it starts no new backend, so the list of children stays complete.
        Signal(postmaster, SigStop);
        var children = ChildrenOf(postmaster);
        foreach (var child in children)
        {
            Signal(child, SigStop);
        }

        return 1 + children.Count;
    }

    /// <summary>Lets every process of the server run again; safe to call when nothing is paused.</summary>
    public void Resume()
    {
        if (!_paused)
        {
            return;
        }

        var postmaster = PostmasterId();
        foreach (var child in ChildrenOf(postmaster))
        {
            Signal(child, SigCont);
        }

        Signal(postmaster, SigCont);
        _paused = false;
    }

    private int PostmasterId() =>
        int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First().Trim(), CultureInfo.InvariantCulture);

    /// <summary>The processes whose parent is <paramref name="parent"/>, from <c>/proc/*/stat</c>.</summary>
    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }

            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parent)
            {
                children.Add(pid);
            }
        }

        return children;
    }

    private static void Signal(int pid, int signal)
    {
        if (SendSignal(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    // DllImport rather than LibraryImport: the generated stub would need AllowUnsafeBlocks in the test project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
