using System.Diagnostics;
using System.Net;
using Dispatch.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatch.Tests.Tiers;

/// <summary>
/// Routing over a thousand open projects, most of them empty or needing a skill the worker lacks: a claim without a
/// project must still land on the right one, and not much slower than a claim naming its project. The latencies are
/// printed; only a generous bound is asserted, since machines are noisy.
/// </summary>
[Collection(RoutingScaleCollection.Name)]
public sealed class RoutingScaleTests_Memory(TierMemoryHost host, ITestOutputHelper output) : TierTestBase, IClassFixture<TierMemoryHost>
{
    private const int Claims = 200;
    private const int WarmUp = 10;

    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    [Fact]
    public async Task RoutedClaims_Over1000OpenProjects_LandOnTheRightProject_WithP95Under50Ms()
    {
        var setup = Stopwatch.StartNew();
        var held = NewSkill();
        var lacked = NewSkill();
        var owner = await CreateRequesterAsync();
        var random = new Random(1000);

        // 1,000 open projects: 603 anyone may do and 200 needing the held skill, all empty and of higher priority or
        // tier than the work; 195 needing a skill the worker lacks, 5 of them full of work; and the two with work.
        var plans = new List<(string Settings, string? Tasks)>();
        for (var i = 0; i < 603; i++)
        {
            plans.Add(($$"""{"priority":{{random.Next(0, 50)}},"reward":{{random.Next(0, 5)}}}""", null));
        }

        for (var i = 0; i < 200; i++)
        {
            plans.Add(($$"""{"priority":{{random.Next(-50, 50)}},"requirements":{{Requires((held, 1 + random.Next(0, 2)))}} }""", null));
        }

        for (var i = 0; i < 195; i++)
        {
            plans.Add(($$"""{"priority":{{random.Next(0, 50)}},"requirements":{{Requires((lacked, 1))}} }""", i < 5 ? SmallTasks(50, "x") : null));
        }

        var projectIds = new string[plans.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, plans.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            projectIds[i] = await ProjectWithTasksAsync(owner, plans[i].Settings, plans[i].Tasks));

        // The routed work: anyone may do it, lowest priority of all but one. The named work: lower still.
        var routedWork = await ProjectWithTasksAsync(owner, """{"priority":-100}""", SmallTasks(Claims + WarmUp, "r"));
        var namedWork = await ProjectWithTasksAsync(owner, """{"priority":-200}""", SmallTasks(Claims + WarmUp, "n"));
        var all = (await Admin.GetApiAsync("/v1/projects")).Is(HttpStatusCode.OK)["items"]!.AsArray();
        Assert.Equal(1000, all.Count(p => p!["status"]!.GetValue<string>() == "open"));
        var worker = await WorkerAsync(certifications: (held, 2));
        output.WriteLine($"setup of {projectIds.Length + 2} projects: {setup.Elapsed.TotalSeconds:0.0} s");
        await RoutingSeesChangesAsync();

        var first = Stopwatch.StartNew();
        var firstLease = await RoutedLeaseAsync(worker);
        output.WriteLine($"first routed claim (every project asked once): {first.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal(routedWork, firstLease.ProjectId);
        await SubmitOkAsync(worker, firstLease);

        var routed = await MeasureAsync(worker, projectId: null, expected: routedWork, WarmUp - 1);
        var named = await MeasureAsync(worker, projectId: namedWork, expected: namedWork, WarmUp);
        output.WriteLine($"routed claims over 1,000 projects: {Describe(routed)}");
        output.WriteLine($"claims naming their project:       {Describe(named)}");
        output.WriteLine("routed claims over 30 ms (index: ms): " + string.Join(", ", routed.Select((ms, i) => (ms, i)).Where(c => c.ms > 30).Select(c => $"{c.i}: {c.ms:0}")));

        Assert.True(Percentile(routed, 0.95) < 50, $"routed claims: {Describe(routed)}");
    }

    private static async Task<List<double>> MeasureAsync(Worker worker, string? projectId, string expected, int warmUp)
    {
        var latencies = new List<double>();
        for (var i = 0; i < warmUp + Claims; i++)
        {
            var clock = Stopwatch.StartNew();
            var response = await ClaimAsync(worker, projectId);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            var lease = ToLease(response, projectId);
            Assert.Equal(expected, lease.ProjectId);
            if (i >= warmUp)
            {
                latencies.Add(elapsed);
            }

            await SubmitOkAsync(worker, lease);
        }

        return latencies;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static string Describe(List<double> values) =>
        $"n={values.Count} p50={Percentile(values, 0.5):0.00} ms p95={Percentile(values, 0.95):0.00} ms " +
        $"p99={Percentile(values, 0.99):0.00} ms max={values.Max():0.00} ms mean={values.Average():0.00} ms";
}

/// <summary>The measurement runs alone, after the parallel collections, so that other tests' load does not skew it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RoutingScaleCollection
{
    public const string Name = "routing-scale";
}
