using Dispatch.Projects;

namespace Dispatch.Tasks;

/// <summary>A completed task's one answer: its JSON, how sure it is (0..1), and the method that chose it.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.AggregateView")]
public sealed record AggregateView(
    [property: Id(0)] string ValueJson,
    [property: Id(1)] double Confidence,
    [property: Id(2)] AggregationMethod Method);
