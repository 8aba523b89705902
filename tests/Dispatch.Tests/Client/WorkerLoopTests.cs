using System.Net;
using System.Text.Json;
using Dispatch.Client;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Client;

/// <summary>The worker loop against a real host: every task worked once, leases kept alive, given back, recovered.</summary>
public abstract class WorkerLoopTests : ClientTestBase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WorkerLoop_WorksEveryTask_HeartbeatingALeaseWhoseHandlerOutlastsItsDeadline()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync(p => p with { LeaseSeconds = 4 });
        await crew.ImportAsync("slow", "a", "b");
        using var stop = new CancellationTokenSource();
        var loop = new DispatchWorkerLoop(crew.Worker, new WorkerLoopOptions { WorkerId = crew.WorkerId, ProjectId = crew.ProjectId, WaitSeconds = 1 });

        var running = loop.RunAsync(async (lease, ct) =>
        {
            if (lease.TaskId == "slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(9), ct);
            }

            return Label(lease);
        }, stop.Token);

        var project = await crew.WaitForCompletedAsync(3, Patience);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal((3, 0, 0), (project.Counts.Completed, project.Counts.Open, project.Counts.ActiveLeases));
        foreach (var id in new[] { "slow", "a", "b" })
        {
            var task = await crew.Requester.GetTaskAsync(crew.ProjectId, id);
            Assert.Equal((LeaseState.Submitted, 0), (Assert.Single(task.Leases).State, task.FailedAttempts));
            Assert.Equal(id, Assert.Single(task.Submissions).Result.GetProperty("task").GetString());
        }
    }

    [Fact]
    public async Task WorkerLoop_WhenStopped_ReleasesTheLeaseInHand_SoTheTaskIsOfferedAgainAtOnce()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync();
        await crew.ImportAsync("t1");
        var started = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var loop = new DispatchWorkerLoop(crew.Worker, new WorkerLoopOptions { WorkerId = crew.WorkerId, ProjectId = crew.ProjectId });

        var running = loop.RunAsync(async (lease, ct) =>
        {
            started.SetResult(lease);
            await Task.Delay(Timeout.Infinite, ct);
            return Label(lease);
        }, stop.Token);
        var held = await started.Task.WaitAsync(Patience);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        var task = await crew.Requester.GetTaskAsync(crew.ProjectId, "t1");
        Assert.Equal((TaskState.Open, 1), (task.State, task.FailedAttempts));
        Assert.Equal((held.LeaseId, LeaseState.Released), (Assert.Single(task.Leases).LeaseId, task.Leases[0].State));
    }

    [Fact]
    public async Task WorkerLoop_WhenTheHandlerFails_ReleasesThatLease_AndGoesOnWithTheNextTask()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync();
        await crew.ImportAsync("bad", "good");
        using var stop = new CancellationTokenSource();
        var loop = new DispatchWorkerLoop(crew.Worker, new WorkerLoopOptions { WorkerId = crew.WorkerId, ProjectId = crew.ProjectId, WaitSeconds = 1 });

        var running = loop.RunAsync((lease, _) =>
            lease.TaskId == "bad" ? throw new InvalidOperationException("The image would not load.") : ValueTask.FromResult(Label(lease)), stop.Token);

        var project = await crew.WaitForCompletedAsync(1, Patience);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal((1, 1, 0), (project.Counts.Completed, project.Counts.Open, project.Counts.ActiveLeases));
        var bad = await crew.Requester.GetTaskAsync(crew.ProjectId, "bad");
        Assert.Equal((TaskState.Open, LeaseState.Released, 1), (bad.State, Assert.Single(bad.Leases).State, bad.FailedAttempts));
    }

    [Fact]
    public async Task WorkerLoop_AfterAClaimWhoseAnswerWasLost_RecoversTheGrantedLeaseAndWorksIt()
    {
        var proxy = new FaultyProxy(FaultyProxy.Once(FaultyProxy.Spoil.Reset, (request, response) =>
            request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/leases", StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.Created));
        await using var kit = await KitAsync(() => proxy);
        var crew = await kit.CrewAsync(p => p with { LeaseSeconds = 300 });
        await crew.ImportAsync("t1", "t2");
        using var stop = new CancellationTokenSource();
        var loop = new DispatchWorkerLoop(crew.Worker, new WorkerLoopOptions
        {
            WorkerId = crew.WorkerId,
            ProjectId = crew.ProjectId,
            WaitSeconds = 1,
            FailureDelay = TimeSpan.FromMilliseconds(200),
        });
        var worked = new List<string>();

        var running = loop.RunAsync((lease, _) =>
        {
            lock (worked)
            {
                worked.Add(lease.TaskId);
            }

            return ValueTask.FromResult(Label(lease));
        }, stop.Token);

        // Without recovery the lost lease would hold its task for its 300 s: completion in time proves it was recovered.
        var project = await crew.WaitForCompletedAsync(2, Patience);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal((2, 0), (project.Counts.Completed, project.Counts.ActiveLeases));
        Assert.Equal(["t1", "t2"], worked.Order());
        Assert.Equal(2, proxy.Count(HttpMethod.Get, "/leases")); // once at start, once after the lost claim
        foreach (var id in new[] { "t1", "t2" })
        {
            var task = await crew.Requester.GetTaskAsync(crew.ProjectId, id);
            Assert.Equal((LeaseState.Submitted, 0), (Assert.Single(task.Leases).State, task.FailedAttempts));
        }
    }

    private static JsonElement Label(Lease lease) => ClientKit.Json(new { label = "cat", task = lease.TaskId });
}

public sealed class WorkerLoopOnMemoryTests(MemoryApiHost host) : WorkerLoopTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

[Collection(PostgresCollection.Name)]
public sealed class WorkerLoopOnPostgresTests(PostgresServer postgres, PostgresApiHost host) : WorkerLoopTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
