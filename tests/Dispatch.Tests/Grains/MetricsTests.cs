using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Dispatch.Grains;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Workers;

namespace Dispatch.Tests.Grains;

/// <summary>The Dispatch meter counts what the crowd does.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class MetricsTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task ImportClaimAndSubmit_AreCounted_AndClaimsAreTimed()
    {
        var measured = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == DispatchMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measured.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => measured.AddOrUpdate(instrument.Name, 1, (_, count) => count + 1));
        listener.Start();

        var project = $"p-{Guid.NewGuid():N}";
        await fixture.Grains.GetGrain<IProjectGrain>(project).CreateAsync(null, new ProjectSettings(project, null, null, [], 1, 300, 10, 0m, 0, null, null));
        await fixture.Grains.GetGrain<IProjectGrain>(project).ImportAsync([new NewTask("a", "1", 0, null), new NewTask("b", "2", 0, null)]);
        var worker = fixture.Grains.GetGrain<IWorkerGrain>($"w-{Guid.NewGuid():N}");
        await worker.CreateAsync(null, 5, [1]);
        var lease = (await worker.ClaimAsync(project)).Value!;
        await worker.SubmitAsync(lease.LeaseId, "true");

        Assert.True(measured.GetValueOrDefault("dispatch.tasks.imported") >= 2);
        Assert.True(measured.GetValueOrDefault("dispatch.leases.granted") >= 1);
        Assert.True(measured.GetValueOrDefault("dispatch.submissions") >= 1);
        Assert.True(measured.GetValueOrDefault("dispatch.claim.duration") >= 1);
    }
}
