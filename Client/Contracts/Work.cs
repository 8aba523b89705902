using System.Text.Json;

namespace Dispatch.Client;

/// <summary>A task leased to a worker until <see cref="ExpiresAt"/>.</summary>
/// <param name="Kind"><c>"task"</c>; null from a server older than version 1.1.</param>
public sealed record Lease(
    string LeaseId,
    string ProjectId,
    string TaskId,
    JsonElement Payload,
    string? Instructions,
    string? LabelConfig,
    DateTimeOffset ExpiresAt,
    string? Kind = null);

public sealed record HeartbeatReceipt(string LeaseId, DateTimeOffset ExpiresAt);

public sealed record SubmitReceipt(string TaskId, TaskState TaskState);

internal sealed record ClaimBody(string? ProjectId, int? WaitSeconds);

internal sealed record HeartbeatBody(int? ExtendSeconds);

internal sealed record SubmitBody(JsonElement Result);

internal sealed record LeaseList(IReadOnlyList<Lease> Items);
