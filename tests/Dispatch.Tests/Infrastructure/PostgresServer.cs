using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Dispatch.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL 15 server for one test run: its own data folder in a new temporary directory, listening on
/// 127.0.0.1 only, on a free port, with trust authentication for the <c>postgres</c> superuser. Tests get a fresh
/// database each from <see cref="CreateDatabaseAsync"/>, so they never see each other's rows.
/// </summary>
/// <remarks>
/// The binaries are taken from <c>/usr/lib/postgresql/15/bin</c>, or from the folder named by the
/// <c>DISPATCH_PG_BIN</c> environment variable. PostgreSQL refuses to run as root, so when the tests run as root (as CI
/// does) the server runs as the <c>postgres</c> user through <c>runuser</c>, which owns the temporary directory.
/// </remarks>
public sealed partial class PostgresServer : IAsyncLifetime
{
    private const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>PostgreSQL 15 when present, else the newest version that apt-get installed.</summary>
    private static string InstalledBinDirectory()
    {
        if (Directory.Exists(DefaultBinDirectory) || !Directory.Exists("/usr/lib/postgresql"))
        {
            return DefaultBinDirectory;
        }

        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(version => Path.Combine(version, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            .FirstOrDefault() ?? DefaultBinDirectory;
    }
    private const string ServiceUser = "postgres";

    // Many test hosts run at once and each keeps a pool (bounded by "Maximum Pool Size" below).
    private const int MaxConnections = 300;

    private readonly string _binDirectory;
    private readonly bool _runAsServiceUser;
    private string? _rootDirectory;
    private int _port;
    private bool _running;

    public PostgresServer()
    {
        _binDirectory = Environment.GetEnvironmentVariable("DISPATCH_PG_BIN") is { Length: > 0 } custom ? custom : InstalledBinDirectory();
        _runAsServiceUser = Environment.UserName == "root";
    }

    /// <summary>A connection string to the <c>postgres</c> database as superuser, for administration.</summary>
    public string AdminConnectionString => BuildConnectionString("postgres", pooling: false);

    /// <summary>The TCP port the server listens on (127.0.0.1 only).</summary>
    public int Port => _port;

    private string DataDirectory => Path.Combine(RootDirectory, "data");

    private string LogFile => Path.Combine(RootDirectory, "server.log");

    private string RootDirectory => _rootDirectory ?? throw new InvalidOperationException("The PostgreSQL server has not been initialized.");

    /// <summary>Creates an empty database with a unique name (or <paramref name="name"/>) and returns its connection string.</summary>
    /// <param name="name">A name of lower-case letters, digits and underscores; a unique one when <see langword="null"/>.</param>
    /// <returns>An Npgsql connection string to the new database, with a pool bounded to 20 connections.</returns>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= "test_" + Guid.NewGuid().ToString("N");
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain lower-case database name.", nameof(name));
        }

        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return BuildConnectionString(name, pooling: true);
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m fast</c>) and keeps its data, to simulate a database outage.</summary>
    public async Task StopAsync()
    {
        if (!_running)
        {
            return;
        }

        await PgCtlAsync("stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60");
        _running = false;
    }

    /// <summary>Starts the server again on the same port and data after <see cref="StopAsync"/>.</summary>
    public async Task StartAsync()
    {
        if (_running)
        {
            return;
        }

        await PgCtlAsync("start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60");
        _running = true;
    }

    /// <summary>Creates the data folder and starts the server; fails with a clear message when PostgreSQL is missing.</summary>
    public async Task InitializeAsync()
    {
        foreach (var tool in new[] { "initdb", "pg_ctl", "postgres" })
        {
            if (!File.Exists(Path.Combine(_binDirectory, tool)))
            {
                throw new InvalidOperationException(
                    $"PostgreSQL 15 is needed for these tests, but '{Path.Combine(_binDirectory, tool)}' does not exist. " +
                    "Install it (apt-get install postgresql-15) or set DISPATCH_PG_BIN to the folder holding initdb and pg_ctl.");
            }
        }

        _rootDirectory = Directory.CreateTempSubdirectory("dispatch-pg-").FullName;
        if (_runAsServiceUser)
        {
            await RunAsync("chown", ["-R", ServiceUser, _rootDirectory], asServiceUser: false);
        }

        await RunAsync(
            Path.Combine(_binDirectory, "initdb"),
            ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            _runAsServiceUser);

        // A port is free when we ask and may be taken when the server binds it; try a few.
        for (var attempt = 1; ; attempt++)
        {
            _port = Ports.Free();
            await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), Settings(_port));
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>Stops the server and deletes its temporary directory.</summary>
    public async Task DisposeAsync()
    {
        if (_rootDirectory is null)
        {
            return;
        }

        try
        {
            // A test that failed while the server was paused must not leave it stopped for pg_ctl to wait on.
            Resume();
            if (_running)
            {
                // Immediate: the data is about to be deleted, so nothing needs a clean shutdown.
                await PgCtlAsync("stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "60");
                _running = false;
            }
        }
        finally
        {
            Directory.Delete(_rootDirectory, recursive: true);
            _rootDirectory = null;
        }
    }

    private string Settings(int port) =>
        string.Create(CultureInfo.InvariantCulture, $"""

            # Added by Dispatch.Tests.Infrastructure.PostgresServer (the last setting of a name wins).
            listen_addresses = '127.0.0.1'
            port = {port}
            unix_socket_directories = '{RootDirectory}'
            max_connections = {MaxConnections}
            fsync = on

            """);

    private string BuildConnectionString(string database, bool pooling) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = _port,
            Username = "postgres",
            Database = database,
            Pooling = pooling,
            MaxPoolSize = 20,
        }.ConnectionString;

    private async Task PgCtlAsync(params string[] arguments)
    {
        try
        {
            await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), arguments, _runAsServiceUser);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{e.Message}{Environment.NewLine}Server log:{Environment.NewLine}{ReadLogTail()}", e);
        }
    }

    private string ReadLogTail()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return string.Join(Environment.NewLine, lines.TakeLast(30));
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }

    /// <summary>Runs a tool to completion, as the service user when needed, and throws with its output when it fails.</summary>
    private async Task RunAsync(string fileName, IReadOnlyList<string> arguments, bool asServiceUser)
    {
        var start = new ProcessStartInfo
        {
            FileName = asServiceUser ? "runuser" : fileName,
            WorkingDirectory = RootDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asServiceUser)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(ServiceUser);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' did not finish within 2 minutes.{Environment.NewLine}{Snapshot(output)}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}.{Environment.NewLine}{Snapshot(output)}");
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
