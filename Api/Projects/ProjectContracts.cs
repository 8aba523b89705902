using System.Text.Json;
using System.Text.Json.Serialization;
using Dispatch.Projects;
using Dispatch.Tasks;

namespace Dispatch.Api.Projects;

public sealed record RequirementDto(string? Skill, int? MinLevel);

public sealed record QualityDto(int? MinGolden, double? MinAccuracy);

public sealed record ExamDto(string? Skill, int? Level, double? PassScore);

public sealed record CreateProjectRequest(
    string? Id,
    string? Name = null,
    string? Instructions = null,
    string? LabelConfig = null,
    List<RequirementDto?>? Requirements = null,
    int? Overlap = null,
    int? LeaseSeconds = null,
    int? MaxAttempts = null,
    decimal? Reward = null,
    int? Priority = null,
    QualityDto? Quality = null,
    ExamDto? Exam = null);

public sealed record PatchProjectRequest(string? Status = null, int? Priority = null, decimal? Reward = null, int? LeaseSeconds = null, int? MaxAttempts = null);

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
            s.Quality is { } q ? new QualityDto(q.MinGolden, q.MinAccuracy) : null,
            s.Exam is { } e ? new ExamDto(e.Skill, e.Level, e.PassScore) : null,
            ApiNames.Of(view.Status),
            new CountsResponse(c.Total, c.Open, c.Completed, c.DeadLettered, c.ActiveLeases, c.Submissions),
            view.CreatedAt.UtcDateTime);
    }
}

public sealed record ProjectListResponse(IReadOnlyList<ProjectResponse> Items);

public sealed record ImportTaskDto(JsonElement? Payload, string? Id = null, int? Priority = null, JsonElement? GoldenAnswer = null);

public sealed record ImportRequest(List<ImportTaskDto?>? Tasks);

public sealed record ImportResponse(int Created, int Existing, IReadOnlyList<string> Ids);

public sealed record TaskLeaseResponse(string LeaseId, string WorkerId, string State, DateTime LeasedAt, DateTime ExpiresAt);

public sealed record SubmissionResponse(
    string WorkerId,
    JsonElement Result,
    DateTime SubmittedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Correct = null)
{
    public static SubmissionResponse From(SubmissionView s) => new(s.WorkerId, Json.Parse(s.ResultJson), s.SubmittedAt.UtcDateTime, s.Correct);
}

public sealed record TaskResponse(
    string Id,
    string State,
    JsonElement Payload,
    int Priority,
    int FailedAttempts,
    IReadOnlyList<TaskLeaseResponse> Leases,
    IReadOnlyList<SubmissionResponse> Submissions)
{
    public static TaskResponse From(TaskView view) => new(
        view.Id,
        ApiNames.Of(view.State),
        Json.Parse(view.PayloadJson),
        view.Priority,
        view.FailedAttempts,
        [.. view.Leases.Select(l => new TaskLeaseResponse(l.LeaseId, l.WorkerId, ApiNames.Of(l.State), l.LeasedAt.UtcDateTime, l.ExpiresAt.UtcDateTime))],
        [.. view.Submissions.Select(SubmissionResponse.From)]);
}
