using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// Everything one silo process is started with: the configuration keys of the host (see the Silo project), passed on
/// its command line as <c>--Key value</c>.
/// </summary>
public sealed record SiloSettings
{
    public required string AdminKey { get; init; }

    /// <summary><c>Dispatch:Storage</c>: memory or postgres.</summary>
    public string Storage { get; init; } = "postgres";

    /// <summary><c>Dispatch:Clustering</c>: localhost or postgres.</summary>
    public string Clustering { get; init; } = "postgres";

    /// <summary><c>ConnectionStrings:Dispatch</c>.</summary>
    public string? ConnectionString { get; init; }

    public required string ClusterId { get; init; }

    public required string ServiceId { get; init; }

    public required int SiloPort { get; init; }

    public required int GatewayPort { get; init; }

    public required int HttpPort { get; init; }

    /// <summary>More settings (<c>Orleans:Membership:ProbeTimeout</c> = <c>00:00:02</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The command line after <c>dotnet Dispatch.Silo.dll</c>.</summary>
    public IEnumerable<string> Arguments()
    {
        var settings = new List<(string Key, string? Value)>
        {
            ("Dispatch:AdminKey", AdminKey),
            ("Dispatch:Storage", Storage),
            ("Dispatch:Clustering", Clustering),
            ("ConnectionStrings:Dispatch", ConnectionString),
            ("Orleans:ClusterId", ClusterId),
            ("Orleans:ServiceId", ServiceId),
            ("Orleans:SiloPort", SiloPort.ToString(CultureInfo.InvariantCulture)),
            ("Orleans:GatewayPort", GatewayPort.ToString(CultureInfo.InvariantCulture)),
            ("Orleans:AdvertisedIP", "127.0.0.1"),
            ("urls", BaseAddress.ToString().TrimEnd('/')),
        };
        settings.AddRange(Extra.Select(e => (e.Key, (string?)e.Value)));
        foreach (var (key, value) in settings.Where(s => s.Value is not null))
        {
            yield return "--" + key;
            yield return value!;
        }
    }
}

/// <summary>
/// One Dispatch host as a child process (<c>dotnet Dispatch.Silo.dll</c>, the build the tests reference), with its own
/// HTTP port. Its standard output and error go to a log file for diagnostics. <see cref="StopAsync"/> sends SIGTERM
/// (clean shutdown), <see cref="Kill"/> SIGKILL (no shutdown at all); disposing always kills what still runs.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _logLock = new();
    private bool _logClosed;

    private SiloProcess(string name, SiloSettings settings, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        Settings = settings;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public SiloSettings Settings { get; }

    public Uri BaseAddress => Settings.BaseAddress;

    public int ProcessId => _process.Id;

    /// <summary>Where the process's standard output and error are written (kept after the test).</summary>
    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has exited.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The host DLL the tests reference: it is copied into the test output folder.</summary>
    public static string SiloDll => Path.Combine(AppContext.BaseDirectory, "Dispatch.Silo.dll");

    /// <summary>The folder of this test run's silo logs.</summary>
    public static string LogDirectory { get; } = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), "dispatch-silo-logs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Environment.ProcessId)).FullName;

    /// <summary>Starts the process and waits until <c>/health/ready</c> answers 200 (or throws with the log's tail).</summary>
    public static async Task<SiloProcess> StartAsync(string name, SiloSettings settings, TimeSpan? readyTimeout = null)
    {
        var silo = Launch(name, settings);
        try
        {
            await silo.WaitReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(90));
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the process without waiting for it.</summary>
    public static SiloProcess Launch(string name, SiloSettings settings)
    {
        if (!File.Exists(SiloDll))
        {
            throw new InvalidOperationException($"'{SiloDll}' does not exist; build the solution first.");
        }

        var start = new ProcessStartInfo
        {
            FileName = DotnetHost(),
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SiloDll);
        foreach (var argument in settings.Arguments())
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";

        var logPath = Path.Combine(LogDirectory, $"{name}-{Guid.NewGuid().ToString("N")[..8]}.log");
        var log = new StreamWriter(new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };
        log.WriteLine($"# {DateTime.UtcNow:O} dotnet {string.Join(' ', start.ArgumentList)}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(name, settings, process, log, logPath);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {name}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200; throws with the log's tail when the process exits or time runs out.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        var last = "(no answer yet)";
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it was ready.{Environment.NewLine}{LogTail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                last = e.GetType().Name + ": " + e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0} s; last: {last}{Environment.NewLine}{LogTail()}");
    }

    /// <summary>Waits until the process exits by itself; returns its exit code, or null when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Whether <c>/health/ready</c> answers 200 now.</summary>
    public async Task<bool> IsReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// A clean shutdown: SIGTERM, then waits for the process to exit. Returns how long it took and the exit code;
    /// kills it (and throws) when it does not exit within <paramref name="timeout"/>.
    /// </summary>
    public async Task<(TimeSpan Took, int ExitCode)> StopAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(45);
        var clock = Stopwatch.StartNew();
        if (!_process.HasExited)
        {
            Append($"# {DateTime.UtcNow:O} test: SIGTERM");
            if (SendSignal(_process.Id, SigTerm) != 0)
            {
                throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
            }

            using var wait = new CancellationTokenSource(limit);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                throw new TimeoutException($"{Name} did not exit within {limit.TotalSeconds:0} s of SIGTERM.{Environment.NewLine}{LogTail()}");
            }
        }

        await _process.WaitForExitAsync();
        return (clock.Elapsed, _process.ExitCode);
    }

    /// <summary>SIGKILL: the process ends at once, without any shutdown.</summary>
    public void Kill()
    {
        if (_process.HasExited)
        {
            return;
        }

        Append($"# {DateTime.UtcNow:O} test: SIGKILL");
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of the log.</summary>
    public string LogTail(int lines = 40)
    {
        var all = ReadLog();
        return $"--- {Name} log ({LogPath}), last {Math.Min(lines, all.Length)} of {all.Length} lines ---{Environment.NewLine}" +
            string.Join(Environment.NewLine, all.TakeLast(lines));
    }

    /// <summary>The log lines that <paramref name="match"/> accepts, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<string> LogLines(Func<string, bool> match, int max = 20) => ReadLog().Where(match).Take(max).ToList();

    /// <summary>Warnings, errors and exception lines of the log, for a test's report.</summary>
    /// <remarks>Leaves out the watchdog's start-up complaint ("Participant check thread has not completed"), which
    /// every silo logs once and which says nothing.</remarks>
    public IReadOnlyList<string> Problems(int max = 20) => LogLines(
        l => !l.Contains("Participant check thread", StringComparison.Ordinal) &&
             (l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal) ||
              l.Contains("warn:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)),
        max);

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
        }

        lock (_logLock)
        {
            _logClosed = true;
            _log.Dispose();
        }

        _process.Dispose();
    }

    public override string ToString() => $"{Name} (pid {ProcessId}, {BaseAddress}, silo port {Settings.SiloPort})";

    private string[] ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException e)
        {
            return [$"(log unreadable: {e.Message})"];
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return "dotnet";
    }

    // DllImport rather than LibraryImport: the generated stub would need AllowUnsafeBlocks in the test project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
