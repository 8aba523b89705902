using System.ComponentModel;
using System.Diagnostics;

namespace Dispatch.Tests.Infrastructure;

/// <summary>The outcome of a command line: its exit code and everything it wrote.</summary>
public sealed record CommandResult(string Command, int ExitCode, string Output, string Error)
{
    public override string ToString() => $"{Command} exited {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>
/// Runs a program the tests need from outside .NET (npx, the dotnet CLI) and waits for it. A program that is not
/// installed fails the test with a sentence saying what to install, never skips it.
/// </summary>
public static class ExternalCommand
{
    public static async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A test run under `dotnet test` inherits MSBuild's own variables; a nested `dotnet build` must find its SDK afresh.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var command = $"{fileName} {string.Join(' ', start.ArgumentList)}";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Xunit.Sdk.XunitException($"Could not start {command}.");
        }
        catch (Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"'{fileName}' is not installed or not on PATH ({e.Message}); this test needs it: {command}");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"{command} did not finish within {timeout}.\n{await output}\n{await error}");
            }

            return new CommandResult(command, process.ExitCode, await output, await error);
        }
    }

    /// <summary>The dotnet executable running these tests, so nested commands use the same SDK.</summary>
    public static string Dotnet() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    /// <summary>The repository's root folder (where <c>Dispatch.sln</c> is), found from the test binaries upwards.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Dispatch.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Dispatch.sln above {AppContext.BaseDirectory}.");
    }
}
