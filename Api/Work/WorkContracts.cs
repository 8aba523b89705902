using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dispatch.Work;

namespace Dispatch.Api.Work;

public sealed record ClaimRequest(
    [property: Description("Claim in this project only; left out, the claim is routed by skill tier.")] string? ProjectId = null,
    [property: Range(0, 20), Description("Wait this long for work before answering 204. Default: 0.")] int? WaitSeconds = null);

public sealed record LeaseResponse(
    string LeaseId,
    [property: Description("\"task\": a task to do; \"review\": another worker's result on this task to accept or reject (crowd review).")] string Kind,
    string ProjectId,
    string TaskId,
    JsonElement Payload,
    string? Instructions,
    string? LabelConfig,
    DateTime ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Review leases only: the result under review (whose it is is not shown).")]
    LeaseReviewResponse? Review = null)
{
    public const string TaskKind = "task";

    public const string ReviewKind = "review";

    public static LeaseResponse From(LeaseGrant grant) => new(
        grant.LeaseId, grant.IsReview ? ReviewKind : TaskKind, grant.ProjectId, grant.TaskId, Json.Parse(grant.PayloadJson), grant.Instructions, grant.LabelConfig,
        grant.ExpiresAt.UtcDateTime, grant.ReviewResultJson is { } result ? new LeaseReviewResponse(Json.Parse(result)) : null);
}

public sealed record LeaseReviewResponse(JsonElement Result);

public sealed record LeaseListResponse(IReadOnlyList<LeaseResponse> Items);

public sealed record HeartbeatRequest(
    [property: Range(1, 86_400), Description("The new deadline is now plus this. Default: the project's leaseSeconds.")] int? ExtendSeconds = null);

public sealed record HeartbeatResponse(string LeaseId, DateTime ExpiresAt);

public sealed record SubmitRequest([property: Description("Any JSON value.")] JsonElement? Result);

public sealed record SubmitResponse(string TaskId, string TaskState);

public sealed record ReleaseRequest(string? Reason = null);

public sealed record ReleaseResponse(string LeaseId, string State);
