using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dispatch.Projects;
using Dispatch.Tasks;

namespace Dispatch.Api.Projects;

public sealed record RequirementDto(string? Skill, [property: Range(1, 100)] int? MinLevel);

public sealed record QualityDto(
    [property: Range(1, 1_000_000)] int? MinGolden,
    [property: Range(0.0, 1.0)] double? MinAccuracy,
    [property: Range(0.0, 1.0), Description("Suspends a certification once the share of reviewed submissions accepted falls below it. Default: none."),
        JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? MinAcceptance = null);

public sealed record ReviewDto(
    [property: Description("requester: the owner (or admin) gives each verdict. crowd: workers who meet review.requirements review each submission through the claim call.")] string? Mode,
    [property: Range(1, 2_592_000), Description("A submission still pending this long is accepted. Default: 259200 (3 days).")] int? AutoAcceptSeconds = null,
    [property: Description("Crowd mode: who may review. Default: the project's own requirements.")] List<RequirementDto?>? Requirements = null,
    [property: Range(0, 1_000_000), Description("Crowd mode: paid per review, at most 4 decimal places. Default: 0.")] decimal? Reward = null)
{
    public static ReviewDto From(ReviewRule review) => new(
        ApiNames.Of(review.Mode), review.AutoAcceptSeconds, [.. review.Requirements.Select(r => new RequirementDto(r.Skill, r.MinLevel))], review.Reward);
}

public sealed record AggregationDto(
    [property: Description("majority: the answer most accepted submissions gave, at completion. dawidSkene: the Dawid-Skene estimate over the project's completed tasks, on request.")] string? Method,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("Compare result[field] rather than the whole result. Default: the whole result.")] string? Field = null)
{
    public static AggregationDto From(AggregationRule rule) => new(ApiNames.Of(rule.Method), rule.Field);
}

public sealed record DynamicOverlapDto(
    [property: Range(1, 100), Description("At most this many submissions per task (overlap..100).")] int? Max,
    [property: Range(0.0, 1.0), Description("The leading answer's share at which a task with overlap accepted answers completes.")] double? Agreement);

public sealed record ExamDto(string? Skill, [property: Range(1, 100)] int? Level, [property: Range(0.0, 1.0)] double? PassScore);

public sealed record CreateProjectRequest(
    string? Id,
    string? Name = null,
    string? Instructions = null,
    string? LabelConfig = null,
    List<RequirementDto?>? Requirements = null,
    [property: Range(1, 100), Description("Distinct workers that must submit before a task is completed. Default: 1.")] int? Overlap = null,
    [property: Range(1, 86_400), Description("How long a lease lasts. Default: 300.")] int? LeaseSeconds = null,
    [property: Range(1, 1000), Description("Failed leases a task may have before it is dead-lettered. Default: 10.")] int? MaxAttempts = null,
    [property: Range(0, 1_000_000), Description("Credited to the worker per submission, at most 4 decimal places. Default: 0.")] decimal? Reward = null,
    [property: Description("Higher first when claims are routed across projects. Default: 0.")] int? Priority = null,
    QualityDto? Quality = null,
    ExamDto? Exam = null,
    [property: Description("Review of submissions before they are accepted. Default: none (accepted when stored).")] ReviewDto? Review = null,
    [property: Description("How answers are combined into one per task. Default: none.")] AggregationDto? Aggregation = null,
    [property: Description("Ask more workers until they agree (needs aggregation). Default: none, a task completes at overlap.")] DynamicOverlapDto? DynamicOverlap = null);

public sealed record PatchProjectRequest(
    [property: Description("open, paused or closed; closed is final.")] string? Status = null,
    int? Priority = null,
    [property: Range(0, 1_000_000)] decimal? Reward = null,
    [property: Range(1, 86_400)] int? LeaseSeconds = null,
    [property: Range(1, 1000)] int? MaxAttempts = null,
    [property: Description("Sets or changes the review; submissions already stored keep their state.")] ReviewDto? Review = null);

public sealed record CountsResponse(long Total, long Open, long Completed, long DeadLettered, long ActiveLeases, long Submissions);

public sealed record ProjectResponse(
    string Id,
    string Name,
    string? Instructions,
    string? LabelConfig,
    IReadOnlyList<RequirementDto> Requirements,
    int Overlap,
    int LeaseSeconds,
    int MaxAttempts,
    decimal Reward,
    int Priority,
    QualityDto? Quality,
    ExamDto? Exam,
    ReviewDto? Review,
    AggregationDto? Aggregation,
    DynamicOverlapDto? DynamicOverlap,
    string Status,
    CountsResponse Counts,
    DateTime CreatedAt)
{
    public static ProjectResponse From(ProjectView view)
    {
        var s = view.Settings;
        var c = view.Counts;
        return new ProjectResponse(
            view.Id,
            s.Name,
            s.Instructions,
            s.LabelConfig,
            [.. s.Requirements.Select(r => new RequirementDto(r.Skill, r.MinLevel))],
            s.Overlap,
            s.LeaseSeconds,
            s.MaxAttempts,
            s.Reward,
            s.Priority,
            s.Quality is { } q ? new QualityDto(q.MinGolden, q.MinAccuracy, q.MinAcceptance) : null,
            s.Exam is { } e ? new ExamDto(e.Skill, e.Level, e.PassScore) : null,
            s.Review is { } r ? ReviewDto.From(r) : null,
            s.Aggregation is { } a ? AggregationDto.From(a) : null,
            s.DynamicOverlap is { } d ? new DynamicOverlapDto(d.Max, d.Agreement) : null,
            ApiNames.Of(view.Status),
            new CountsResponse(c.Total, c.Open, c.Completed, c.DeadLettered, c.ActiveLeases, c.Submissions),
            view.CreatedAt.UtcDateTime);
    }
}

public sealed record ProjectListResponse(IReadOnlyList<ProjectResponse> Items);

public sealed record ImportTaskDto(
    [property: Description("Any JSON value: what the worker gets.")] JsonElement? Payload,
    [property: Description("Left out, the server makes one.")] string? Id = null,
    [property: Description("Within a project, higher first. Default: 0.")] int? Priority = null,
    [property: Description("Makes the task golden; never sent to workers.")] JsonElement? GoldenAnswer = null);

public sealed record ImportRequest(List<ImportTaskDto?>? Tasks);

public sealed record ImportResponse(int Created, int Existing, IReadOnlyList<string> Ids);

public sealed record TaskLeaseResponse(string LeaseId, string WorkerId, string State, DateTime LeasedAt, DateTime ExpiresAt);

/// <param name="State">pending, accepted or rejected.</param>
/// <param name="Review">The verdict; null while pending and in a project without review.</param>
public sealed record SubmissionResponse(
    string WorkerId,
    JsonElement Result,
    DateTime SubmittedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Correct,
    string State,
    ReviewResponse? Review)
{
    public static SubmissionResponse From(SubmissionView s) =>
        new(s.WorkerId, Json.Parse(s.ResultJson), s.SubmittedAt.UtcDateTime, s.Correct, ApiNames.Of(s.State), ReviewResponse.From(s.Review));
}

/// <param name="By">requester, crowd, auto or admin.</param>
public sealed record ReviewResponse(
    string Verdict,
    string By,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReviewerId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Comment,
    DateTime At)
{
    public static ReviewResponse? From(ReviewView? review) => review is null
        ? null
        : new(ApiNames.Of(review.Verdict), ApiNames.Of(review.By), review.ReviewerId, review.Comment, review.At.UtcDateTime);
}

public sealed record TaskResponse(
    string Id,
    string State,
    JsonElement Payload,
    int Priority,
    int FailedAttempts,
    IReadOnlyList<TaskLeaseResponse> Leases,
    IReadOnlyList<SubmissionResponse> Submissions,
    [property: Description("The task's one answer; null before completion and in a project without aggregation.")] AggregateResponse? Aggregate)
{
    public static TaskResponse From(TaskView view) => new(
        view.Id,
        ApiNames.Of(view.State),
        Json.Parse(view.PayloadJson),
        view.Priority,
        view.FailedAttempts,
        [.. view.Leases.Select(l => new TaskLeaseResponse(l.LeaseId, l.WorkerId, ApiNames.Of(l.State), l.LeasedAt.UtcDateTime, l.ExpiresAt.UtcDateTime))],
        [.. view.Submissions.Select(SubmissionResponse.From)],
        AggregateResponse.From(view.Aggregate));
}

/// <param name="Value">The chosen answer: a result, or result[field], as JSON.</param>
/// <param name="Confidence">majority: the answer's share of the accepted submissions. dawidSkene: its posterior probability.</param>
/// <param name="Method">majority or dawidSkene: how this value was chosen.</param>
public sealed record AggregateResponse(JsonElement Value, double Confidence, string Method)
{
    public static AggregateResponse? From(AggregateView? aggregate) =>
        aggregate is null ? null : new(Json.Parse(aggregate.ValueJson), aggregate.Confidence, ApiNames.Of(aggregate.Method));
}
