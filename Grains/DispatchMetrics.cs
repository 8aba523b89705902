using System.Diagnostics.Metrics;
using Dispatch.Grains.Metrics;

namespace Dispatch.Grains;

/// <summary>
/// Dispatch's metrics, in one meter named <see cref="MeterName"/> (read them with dotnet-counters, OpenTelemetry or
/// any <see cref="MeterListener"/>): what the crowd does, how long a claim takes inside the cluster, and the open
/// projects' tasks, leases and dead letters as gauges tagged <c>project</c> (<see cref="ProjectGauges"/> bounds them).
/// </summary>
public sealed class DispatchMetrics : IDisposable
{
    public const string MeterName = "Dispatch";

    private readonly Meter _meter = new(MeterName);

    public DispatchMetrics(ProjectGauges projects)
    {
        TasksImported = _meter.CreateCounter<long>("dispatch.tasks.imported", "{task}", "Tasks created by imports.");
        LeasesGranted = _meter.CreateCounter<long>("dispatch.leases.granted", "{lease}", "Leases handed to workers.");
        ClaimsWithoutWork = _meter.CreateCounter<long>("dispatch.claims.no_work", "{claim}", "Claims that found nothing to lease.");
        Submissions = _meter.CreateCounter<long>("dispatch.submissions", "{submission}", "Submissions accepted and stored.");
        LeasesExpired = _meter.CreateCounter<long>("dispatch.leases.expired", "{lease}", "Leases that ran past their deadline.");
        LeasesReleased = _meter.CreateCounter<long>("dispatch.leases.released", "{lease}", "Leases ended early (released, blocked, dead letter).");
        TasksDeadLettered = _meter.CreateCounter<long>("dispatch.tasks.dead_lettered", "{task}", "Tasks that reached their maximum of failed attempts.");
        ClaimDuration = _meter.CreateHistogram<double>("dispatch.claim.duration", "ms", "Time a claim spends in the worker grain, routing and shards included.");
        _meter.CreateObservableGauge("dispatch.project.tasks.open", () => projects.Current().Measure(c => c.Open), "{task}", "Open tasks of each open project (the largest projects; the rest as project=_other).");
        _meter.CreateObservableGauge("dispatch.project.leases.active", () => projects.Current().Measure(c => c.ActiveLeases), "{lease}", "Active leases of each open project.");
        _meter.CreateObservableGauge("dispatch.project.tasks.dead_lettered", () => projects.Current().Measure(c => c.DeadLettered), "{task}", "Dead-lettered tasks of each open project.");
    }

    public Counter<long> TasksImported { get; }

    public Counter<long> LeasesGranted { get; }

    public Counter<long> ClaimsWithoutWork { get; }

    public Counter<long> Submissions { get; }

    public Counter<long> LeasesExpired { get; }

    public Counter<long> LeasesReleased { get; }

    public Counter<long> TasksDeadLettered { get; }

    public Histogram<double> ClaimDuration { get; }

    public void Dispose() => _meter.Dispose();
}
