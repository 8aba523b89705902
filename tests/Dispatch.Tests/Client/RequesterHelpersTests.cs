using System.Threading.Channels;
using Dispatch.Client;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Client;

/// <summary>A requester's bulk work through the client: batched imports, the full results export, the live event stream.</summary>
public abstract class RequesterHelpersTests : ClientTestBase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ImportAll_InBatches_ReportsEachStoredBatch_AndRunningItAgainStoresNothingTwice()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync();
        var tasks = Enumerable.Range(0, 2_500).Select(i => new NewTask(ClientKit.Json(new { n = i })) { Id = $"t{i:D5}" }).ToList();

        var progress = new Reports<ImportProgress>();
        var ids = await crew.Requester.ImportAllAsync(crew.ProjectId, tasks, progress, batchSize: 1_000);

        Assert.Equal(tasks.Select(t => t.Id), ids);
        Assert.Equal(
            [new ImportProgress(1_000, 1_000, 0, 1), new ImportProgress(2_000, 2_000, 0, 2), new ImportProgress(2_500, 2_500, 0, 3)],
            progress.Items);
        Assert.Equal(2_500, (await crew.Requester.GetProjectAsync(crew.ProjectId)).Counts.Total);

        var again = new Reports<ImportProgress>();
        await crew.Requester.ImportAllAsync(crew.ProjectId, tasks, again, batchSize: 1_000);
        Assert.Equal(new ImportProgress(2_500, 0, 2_500, 3), again.Items[^1]);
        Assert.Equal(2_500, (await crew.Requester.GetProjectAsync(crew.ProjectId)).Counts.Total);
    }

    [Fact]
    public async Task ExportResults_FollowsTheCursor_ThroughEveryCompletedTaskInCompletionOrder()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync();
        await crew.ImportAsync([.. Enumerable.Range(0, 25).Select(i => $"t{i:D2}")]);
        var completionOrder = new List<string>();
        while (await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId) is { } lease)
        {
            await crew.Worker.SubmitAsync(crew.WorkerId, lease.LeaseId, ClientKit.Json(new { label = "cat", task = lease.TaskId }));
            completionOrder.Add(lease.TaskId);
        }

        var exported = new List<CompletedTask>();
        await foreach (var item in crew.Requester.ExportResultsAsync(crew.ProjectId, pageSize: 10))
        {
            exported.Add(item);
        }

        Assert.Equal(25, completionOrder.Count);
        Assert.Equal(completionOrder, exported.Select(r => r.TaskId));
        Assert.All(exported, r => Assert.Equal(r.TaskId, Assert.Single(r.Submissions).Result.GetProperty("task").GetString()));
    }

    [Fact]
    public async Task Events_ArriveTyped_AndTheStreamReconnectsWithLastEventIdAfterADrop()
    {
        var cutter = new StreamCutter();
        await using var kit = await KitAsync(() => cutter);
        var crew = await kit.CrewAsync();
        var connections = Channel.CreateUnbounded<int>();
        var connected = 0;
        var options = new EventStreamOptions
        {
            ReconnectDelay = TimeSpan.FromMilliseconds(200),
            Connected = () => connections.Writer.TryWrite(Interlocked.Increment(ref connected)),
        };
        var events = Channel.CreateUnbounded<DispatchEvent>();
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            await foreach (var e in crew.Requester.ReadEventsAsync(crew.ProjectId, options, stop.Token))
            {
                events.Writer.TryWrite(e);
            }
        });

        Assert.Equal(1, await connections.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        await crew.ImportAsync("a", "b");
        var first = await events.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(("task.created", crew.ProjectId, 2), (first.Type, first.ProjectId, first.Data!.Value.GetProperty("count").GetInt32()));
        Assert.False(string.IsNullOrEmpty(first.EventId));

        Assert.Equal(2, await connections.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        lock (cutter.LastEventIds)
        {
            Assert.Equal([null, first.EventId], cutter.LastEventIds);
        }

        var lease = await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId);
        var afterDrop = await events.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(("task.leased", lease!.TaskId, crew.WorkerId, lease.LeaseId), (afterDrop.Type, afterDrop.TaskId, afterDrop.WorkerId, afterDrop.LeaseId));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }

    /// <summary>Collects reports as they are made (<see cref="Progress{T}"/> would post them later, on another thread).</summary>
    private sealed class Reports<T> : IProgress<T>
    {
        public List<T> Items { get; } = [];

        public void Report(T value) => Items.Add(value);
    }
}

public sealed class RequesterHelpersOnMemoryTests(MemoryApiHost host) : RequesterHelpersTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

[Collection(PostgresCollection.Name)]
public sealed class RequesterHelpersOnPostgresTests(PostgresServer postgres, PostgresApiHost host) : RequesterHelpersTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
