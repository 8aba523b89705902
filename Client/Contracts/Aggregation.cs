using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatch.Client;

public enum AggregationMethod
{
    [JsonStringEnumMemberName("majority")] Majority,
    [JsonStringEnumMemberName("dawidSkene")] DawidSkene,
}

public enum AggregationRunState
{
    [JsonStringEnumMemberName("idle")] Idle,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("done")] Done,
}

/// <summary>A completed task's one answer.</summary>
/// <param name="Value">The chosen result, or result[field], as JSON.</param>
/// <param name="Confidence">Majority: the answer's share of the accepted submissions. Dawid-Skene: its posterior.</param>
public sealed record Aggregate(JsonElement Value, double Confidence, AggregationMethod Method);

/// <summary>The state of a project's Dawid-Skene runs.</summary>
/// <param name="Method">The project's aggregation; null without one.</param>
/// <param name="Tasks">How many tasks the last finished run covered.</param>
/// <param name="FinishedAt">When the last run finished; null before the first.</param>
public sealed record AggregationRun(AggregationMethod? Method, AggregationRunState State, int Tasks, DateTimeOffset? FinishedAt);
