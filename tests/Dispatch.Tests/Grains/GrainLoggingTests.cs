using System.Collections.Concurrent;
using Dispatch.Grains;
using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Requesters;
using Dispatch.Tasks;
using Dispatch.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace Dispatch.Tests.Grains;

/// <summary>An operator who turns Dispatch's categories to Debug sees every change of a project, worker or requester.</summary>
public sealed class GrainLoggingTests : IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<ITaskStore>(new MemoryTaskStore());
            silo.Services.AddLogging(logging => logging.AddProvider(_logs).AddFilter<CapturedLogs>("Dispatch", LogLevel.Debug));
            silo.AddDispatch();
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task StateChanges_OfRequestersProjectsAndWorkers_AreLoggedAtDebug_WithTheirIds()
    {
        var grains = _cluster.Client;
        await grains.GetGrain<IRequesterGrain>("acme").CreateAsync("Acme", [1]);
        var project = grains.GetGrain<IProjectGrain>("cats");
        await project.CreateAsync("acme", new ProjectSettings("Cats", null, null, [], 1, 300, 10, 0m, 0, null, null));
        await project.ImportAsync([new NewTask("a", "1", 0, null)]);
        await project.UpdateAsync(new ProjectPatch(ProjectStatus.Paused, null, null, null, null));
        var worker = grains.GetGrain<IWorkerGrain>("mina");
        await worker.CreateAsync(null, 5, [2]);
        await worker.CertifyAsync("image-labeling", 2, CertificationSource.Admin);
        await worker.BlockAsync("spam");
        await worker.UnblockAsync();
        await worker.RevokeAsync("image-labeling");

        Assert.Contains("Requester acme created", _logs.At(1401));
        Assert.Contains("Requester acme owns project cats", _logs.At(1402));
        Assert.Contains("Project cats created for acme with", _logs.At(1201));
        Assert.Contains("Project cats stored 1 new tasks (0 already there)", _logs.At(1203));
        Assert.Contains("Project cats is now Paused", _logs.At(1202));
        Assert.Contains("Catalogue routes project cats as Paused", string.Join('\n', _logs.All(1501)));
        Assert.Contains("Worker mina created", _logs.At(1301));
        Assert.Contains("Worker mina certified for image-labeling at level 2 (Admin)", _logs.At(1302));
        Assert.Contains("Worker mina blocked", _logs.At(1304));
        Assert.Contains("Worker mina unblocked", _logs.At(1305));
        Assert.Contains("Worker mina lost its certification for image-labeling", _logs.At(1303));
        Assert.All(_logs.Levels([1201, 1202, 1203, 1301, 1302, 1303, 1304, 1305, 1401, 1402, 1501]), level => Assert.Equal(LogLevel.Debug, level));
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Message)> _entries = new();

        public string At(int eventId) => All(eventId).LastOrDefault() ?? throw new Xunit.Sdk.XunitException($"No log with event id {eventId}.");

        public IEnumerable<string> All(int eventId) => _entries.Where(e => e.EventId == eventId).Select(e => e.Message);

        public IEnumerable<LogLevel> Levels(int[] eventIds) => _entries.Where(e => eventIds.Contains(e.EventId)).Select(e => e.Level);

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs logs, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => category.StartsWith("Dispatch", StringComparison.Ordinal);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    logs._entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
                }
            }
        }
    }
}
