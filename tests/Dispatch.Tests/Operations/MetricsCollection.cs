namespace Dispatch.Tests.Operations;

/// <summary>
/// Tests that read a host's exported meters run alone: meters are named per process, so an OpenTelemetry provider
/// of one host also sees another host's <c>Dispatch</c> meter, and once that host is disposed the duplicate it
/// preferred disappears from the scrape.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Exported metrics";
}
