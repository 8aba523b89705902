using System.Diagnostics;
using System.Globalization;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Cluster;

/// <summary>
/// How long a cluster completes nothing after one of its silos is killed (SIGKILL) under a crowd, with the membership
/// settings the host ships (no <c>Orleans:Membership:*</c> given). The pause is the longest time after the kill
/// without an acknowledged submit, until the crowd has done most of its work (its tail waits for the leases lost with
/// the silo to expire, which is not the cluster pausing). It must stay within five seconds, with nothing acknowledged
/// lost, no (task, worker) pair leased twice, and no vote ever cast against a silo that was alive.
/// </summary>
[Collection(ClusterFaultsCollection.Name)]
public sealed class FailoverPauseTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Workers = 64;
    private const int Tasks = 1000;
    private const int Overlap = 2;
    private const int LeaseSeconds = 5;
    private const int MaxAttempts = 10;
    private const int Victim = 1;
    private const double KillAtShare = 0.25;
    private const double WindowEndShare = 0.8;
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CrowdDeadline = TimeSpan.FromSeconds(120);

    [Fact]
    public Task KilledSiloOfTwo_PausesTheClusterAtMostFiveSeconds() => MeasureAsync(2);

    [Fact]
    public Task KilledSiloOfThree_PausesTheClusterAtMostFiveSeconds() => MeasureAsync(3);

    private async Task MeasureAsync(int silos)
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = new SiloCluster($"pause{silos}", await postgres.CreateDatabaseAsync(), silos, extra: new Dictionary<string, string>());
        try
        {
            await cluster.StartAllAsync();
            output.WriteLine($"{silos} silos ready after {clock.Elapsed.TotalSeconds:0.0} s (the host's own membership settings)");
            var (_, projectId, taskIds, workers) = await SiloLossTests.SetUpAsync(cluster, Workers, Tasks, Overlap, LeaseSeconds, MaxAttempts);

            var crowd = new FailoverCrowd(cluster, projectId, workers, CrowdDeadline);
            var run = crowd.RunAsync();
            await crowd.WaitForAckedAsync((int)(Tasks * Overlap * KillAtShare), TimeSpan.FromSeconds(90));
            var failures = new List<string>();
            var votedBeforeKill = await cluster.SuspicionsAsync();
            failures.AddRange(votedBeforeKill.Select(v => $"before the kill, under the crowd alone, a live silo drew votes: port {v.Port}/{v.Generation} {v.Status}: {v.Votes}"));

            var killedAt = crowd.Elapsed;
            cluster[Victim]!.Kill();
            output.WriteLine($"killed silo {Victim} (SIGKILL) at {killedAt.TotalSeconds:0.0} s of the crowd, after {crowd.AckedCount} acknowledged submits");
            await run;
            output.WriteLine($"crowd ended at {crowd.Elapsed.TotalSeconds:0.0} s ({(crowd.FinishedInTime ? "no open task left" : "DEADLINE PASSED")})");
            crowd.Print(output);

            var (pause, firstCycle, windowEnd) = Pause(crowd, killedAt);
            output.WriteLine($"pause: {pause.TotalSeconds:0.00} s without an acknowledged submit after the kill (window up to {windowEnd.TotalSeconds:0.0} s); " +
                $"first cycle claimed and submitted after the kill: {(firstCycle is { } f ? $"{f.TotalSeconds:0.00} s" : "none")} after it");
            output.WriteLine("completed cycles per second from the kill: " + string.Join(" ", PerSecond(crowd, killedAt, 12)));
            if (pause > MaxPause)
            {
                failures.Add($"the cluster completed nothing for {pause.TotalSeconds:0.00} s after the kill (at most {MaxPause.TotalSeconds:0} s)");
            }

            if (firstCycle is null || firstCycle > MaxPause)
            {
                failures.Add($"the first cycle claimed and submitted after the kill ended {firstCycle?.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) ?? "never"} s after it (at most {MaxPause.TotalSeconds:0} s)");
            }

            if (!crowd.Faults.Keys.Any(k => k.StartsWith($"silo{Victim} ", StringComparison.Ordinal)))
            {
                failures.Add("no call went unanswered by the killed silo: the kill hit nothing in flight");
            }

            if (!crowd.FinishedInTime)
            {
                failures.Add($"the project never showed open 0 within {CrowdDeadline.TotalSeconds:0} s of the crowd's start");
            }

            failures.AddRange(cluster.UnexpectedExits(Victim));
            var victimPort = cluster.SettingsFor(Victim).SiloPort;
            var falseVotes = (await cluster.SuspicionsAsync()).Where(v => v.Port != victimPort).ToList();
            failures.AddRange(falseVotes.Select(v => $"a silo that was never killed drew votes: port {v.Port}/{v.Generation} {v.Status}: {v.Votes}"));
            var membership = await cluster.MembershipAsync();
            output.WriteLine("membership: " + string.Join(", ", membership.Select(m => $"{m.Port}/{m.Generation} {m.Status}")));
            var survivors = Enumerable.Range(0, silos).Where(i => i != Victim).Select(i => cluster.SettingsFor(i).SiloPort).Order().ToList();
            if (!(await cluster.ActivePortsAsync()).SequenceEqual(survivors))
            {
                failures.Add($"membership: expected exactly the survivors ({string.Join(",", survivors)}) active");
            }

            failures.AddRange(await crowd.VerifyAsync(0, taskIds, Overlap, MaxAttempts, output));
            Assert.True(failures.Count == 0, $"{failures.Count} rule(s) broken:{Environment.NewLine}" + string.Join(Environment.NewLine, failures.Take(30)));
        }
        finally
        {
            cluster.Report(output);
        }
    }

    /// <summary>
    /// The longest time without an acknowledged submit from the kill until <see cref="WindowEndShare"/> of all cycles
    /// were acknowledged; how long after the kill the first cycle whose lease was granted after it was acknowledged.
    /// </summary>
    private static (TimeSpan Pause, TimeSpan? FirstCycle, TimeSpan WindowEnd) Pause(FailoverCrowd crowd, TimeSpan killedAt)
    {
        var acks = crowd.Acked.Values.Select(a => a.At).Order().ToList();
        var endIndex = (int)(Tasks * Overlap * WindowEndShare) - 1;
        var windowEnd = endIndex < acks.Count ? acks[endIndex] : crowd.Elapsed;
        var longest = TimeSpan.Zero;
        var previous = killedAt;
        foreach (var at in acks.Where(a => a > killedAt && a <= windowEnd))
        {
            longest = at - previous > longest ? at - previous : longest;
            previous = at;
        }

        longest = windowEnd - previous > longest ? windowEnd - previous : longest;
        var grantedAt = crowd.Leases.ToDictionary(l => l.LeaseId, l => l.At);
        var firstCycle = crowd.Acked.Values
            .Where(a => grantedAt.TryGetValue(a.LeaseId, out var granted) && granted > killedAt)
            .Select(a => (TimeSpan?)(a.At - killedAt))
            .Min();
        return (longest, firstCycle, windowEnd);
    }

    /// <summary>Acknowledged submits in each whole second after the kill, for the report.</summary>
    private static IEnumerable<int> PerSecond(FailoverCrowd crowd, TimeSpan killedAt, int seconds) =>
        Enumerable.Range(0, seconds).Select(s => crowd.Acked.Values.Count(a =>
            a.At > killedAt + TimeSpan.FromSeconds(s) && a.At <= killedAt + TimeSpan.FromSeconds(s + 1)));
}
