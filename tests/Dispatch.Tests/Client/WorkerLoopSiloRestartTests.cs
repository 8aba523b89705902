using Dispatch.Client;
using Dispatch.Tests.Cluster;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Client;

/// <summary>
/// A worker loop keeps working through a restart of the silo it talks to: a silo process on PostgreSQL is stopped and
/// started again on the same ports while the loop holds a lease, heartbeats it and long-polls. (A memory-mode silo
/// forgets everything when it stops, so a restart means something only on PostgreSQL.)
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WorkerLoopSiloRestartTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Tasks = 30;

    /// <param name="how"><c>stop</c>: SIGTERM, a rolling restart; <c>kill</c>: SIGKILL, a crash with calls in flight.</param>
    [Theory]
    [InlineData("stop")]
    [InlineData("kill")]
    public async Task WorkerLoop_ThroughASiloRestart_WorksEveryTaskExactlyOnce(string how)
    {
        await using var cluster = new SiloCluster($"client-{how}", await postgres.CreateDatabaseAsync(), size: 1);
        try
        {
            await cluster.StartAllAsync();
            await using var kit = ClientKit.Create(cluster.SettingsFor(0).BaseAddress, cluster.AdminKey);
            var crew = await kit.CrewAsync(p => p with { LeaseSeconds = 60 });
            await crew.ImportAsync([.. Enumerable.Range(0, Tasks).Select(i => $"t{i:D2}")]);

            var holding = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
            var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var handled = new List<string>();
            using var stop = new CancellationTokenSource();
            var loop = new DispatchWorkerLoop(crew.Worker, new WorkerLoopOptions
            {
                WorkerId = crew.WorkerId,
                ProjectId = crew.ProjectId,
                WaitSeconds = 5,
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                FailureDelay = TimeSpan.FromMilliseconds(250),
                MaxFailureDelay = TimeSpan.FromSeconds(2),
            });
            var running = loop.RunAsync(async (lease, ct) =>
            {
                int count;
                lock (handled)
                {
                    handled.Add(lease.TaskId);
                    count = handled.Count;
                }

                if (count == Tasks / 3)
                {
                    holding.SetResult(lease);
                    await restarted.Task.WaitAsync(ct);
                }

                return ClientKit.Json(new { label = "cat", task = lease.TaskId });
            }, stop.Token);

            var held = await holding.Task.WaitAsync(TimeSpan.FromSeconds(60));
            if (how == "kill")
            {
                cluster[0]!.Kill();
                while (!cluster[0]!.HasExited)
                {
                    await Task.Delay(50);
                }
            }
            else
            {
                var (took, exitCode) = await cluster[0]!.StopAsync();
                output.WriteLine($"silo stopped in {took.TotalSeconds:0.0} s (exit {exitCode})");
            }

            output.WriteLine($"silo gone ({how}) while lease {held.LeaseId} of {held.TaskId} was in hand");
            await cluster.StartSiloAsync(0);
            restarted.SetResult();

            var project = await crew.WaitForCompletedAsync(Tasks, TimeSpan.FromSeconds(120));
            Assert.False(running.IsCompleted, running.Exception?.ToString() ?? "the loop ended by itself");
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

            Assert.Equal((Tasks, 0L, 0L), ((int)project.Counts.Completed, project.Counts.Open, project.Counts.ActiveLeases));
            Assert.Equal(Tasks, (int)project.Counts.Submissions);
            lock (handled)
            {
                Assert.Equal(Enumerable.Range(0, Tasks).Select(i => $"t{i:D2}"), handled.Order());
            }

            var heldTask = await crew.Requester.GetTaskAsync(crew.ProjectId, held.TaskId);
            Assert.Equal((held.LeaseId, LeaseState.Submitted), (Assert.Single(heldTask.Leases).LeaseId, heldTask.Leases[0].State));
            var exported = new List<CompletedTask>();
            await foreach (var result in crew.Requester.ExportResultsAsync(crew.ProjectId))
            {
                exported.Add(result);
            }

            Assert.Equal(Tasks, exported.Select(r => r.TaskId).Distinct().Count());
            Assert.All(exported, r => Assert.Equal(r.TaskId, Assert.Single(r.Submissions).Result.GetProperty("task").GetString()));
        }
        finally
        {
            cluster.Report(output);
        }
    }
}
