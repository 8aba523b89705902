using System.Text.Json;

namespace Dispatch.Client;

/// <summary>A task leased to a worker until <see cref="ExpiresAt"/>.</summary>
/// <param name="Kind">
/// <c>"task"</c>, or <c>"review"</c> (crowd review: submit <c>{verdict: "accept" | "reject", comment?}</c> on
/// <see cref="Review"/>'s result); null from a server older than version 1.1.
/// </param>
/// <param name="Review">For a review lease, the result under review.</param>
public sealed record Lease(
    string LeaseId,
    string ProjectId,
    string TaskId,
    JsonElement Payload,
    string? Instructions,
    string? LabelConfig,
    DateTimeOffset ExpiresAt,
    string? Kind = null,
    LeaseReview? Review = null)
{
    public bool IsReview => Kind == "review";
}

/// <summary>What a review lease asks a worker to judge.</summary>
public sealed record LeaseReview(JsonElement Result);

public sealed record HeartbeatReceipt(string LeaseId, DateTimeOffset ExpiresAt);

public sealed record SubmitReceipt(string TaskId, TaskState TaskState);

internal sealed record ClaimBody(string? ProjectId, int? WaitSeconds);

internal sealed record HeartbeatBody(int? ExtendSeconds);

internal sealed record SubmitBody(JsonElement Result);

internal sealed record LeaseList(IReadOnlyList<Lease> Items);
