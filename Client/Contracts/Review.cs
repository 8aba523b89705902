using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatch.Client;

public enum SubmissionState
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("accepted")] Accepted,
    [JsonStringEnumMemberName("rejected")] Rejected,
}

public enum ReviewVerdict
{
    [JsonStringEnumMemberName("accept")] Accept,
    [JsonStringEnumMemberName("reject")] Reject,
}

/// <summary>A project's review setting.</summary>
/// <param name="Mode"><c>requester</c> (the owner gives each verdict) or <c>crowd</c> (workers review through the claim call).</param>
/// <param name="AutoAcceptSeconds">A submission pending this long is accepted, 1..2592000. Default: 259200.</param>
/// <param name="Requirements">Crowd mode: who may review. Default: the project's own requirements.</param>
/// <param name="Reward">Crowd mode: paid per review, at most 4 decimal places. Default: 0.</param>
public sealed record ReviewRule(string Mode, int? AutoAcceptSeconds = null, IReadOnlyList<Requirement>? Requirements = null, decimal? Reward = null);

/// <param name="By">requester, crowd, auto or admin.</param>
public sealed record Review(ReviewVerdict Verdict, string By, string? ReviewerId, string? Comment, DateTimeOffset At);

/// <summary>A submission as the review calls show it.</summary>
public sealed record ReviewedSubmission(
    string ProjectId, string TaskId, string WorkerId, JsonElement Result, DateTimeOffset SubmittedAt, SubmissionState State, Review? Review);

internal sealed record VerdictBody(ReviewVerdict Verdict, string? Comment);
