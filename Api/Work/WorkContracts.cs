using System.Text.Json;
using Dispatch.Work;

namespace Dispatch.Api.Work;

public sealed record ClaimRequest(string? ProjectId = null, int? WaitSeconds = null);

public sealed record LeaseResponse(
    string LeaseId,
    string ProjectId,
    string TaskId,
    JsonElement Payload,
    string? Instructions,
    string? LabelConfig,
    DateTime ExpiresAt)
{
    public static LeaseResponse From(LeaseGrant grant) => new(
        grant.LeaseId, grant.ProjectId, grant.TaskId, Json.Parse(grant.PayloadJson), grant.Instructions, grant.LabelConfig, grant.ExpiresAt.UtcDateTime);
}

public sealed record LeaseListResponse(IReadOnlyList<LeaseResponse> Items);

public sealed record HeartbeatRequest(int? ExtendSeconds = null);

public sealed record HeartbeatResponse(string LeaseId, DateTime ExpiresAt);

public sealed record SubmitRequest(JsonElement? Result);

public sealed record SubmitResponse(string TaskId, string TaskState);

public sealed record ReleaseRequest(string? Reason = null);

public sealed record ReleaseResponse(string LeaseId, string State);
