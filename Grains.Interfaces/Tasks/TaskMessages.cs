using System.Collections.Immutable;

namespace Dispatch.Tasks;

/// <summary>A task's lifecycle. Stored; values never change.</summary>
public enum TaskState
{
    Open = 0,
    Completed = 1,
    DeadLettered = 2,
}

/// <summary>A lease's lifecycle. Stored; values never change.</summary>
public enum LeaseState
{
    Active = 0,
    Submitted = 1,
    Expired = 2,
    Released = 3,
}

/// <summary>A submission's review state. Stored; values never change.</summary>
public enum SubmissionState
{
    Pending = 0,
    Accepted = 1,
    Rejected = 2,
}

/// <summary>A review's verdict.</summary>
public enum ReviewVerdict
{
    Accept = 0,
    Reject = 1,
}

/// <summary>Who gave a verdict. Stored; values never change.</summary>
public enum ReviewerKind
{
    Requester = 0,
    Crowd = 1,
    Auto = 2,
    Admin = 3,
}

/// <summary>The verdict on a submission: accepted or rejected, by whom, when.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.ReviewView")]
public sealed record ReviewView(
    [property: Id(0)] ReviewVerdict Verdict,
    [property: Id(1)] ReviewerKind By,
    [property: Id(2)] string? ReviewerId,
    [property: Id(3)] string? Comment,
    [property: Id(4)] DateTimeOffset At);

/// <summary>A task to import. <see cref="Id"/> is set by the project grain when the caller left it out.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.NewTask")]
public sealed record NewTask(
    [property: Id(0)] string? Id,
    [property: Id(1)] string PayloadJson,
    [property: Id(2)] int Priority,
    [property: Id(3)] string? GoldenAnswerJson);

[GenerateSerializer, Immutable, Alias("Dispatch.ImportSummary")]
public sealed record ImportSummary(
    [property: Id(0)] int Created,
    [property: Id(1)] int Existing,
    [property: Id(2)] ImmutableArray<string> Ids);

[GenerateSerializer, Immutable, Alias("Dispatch.LeaseView")]
public sealed record LeaseView(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] string WorkerId,
    [property: Id(2)] LeaseState State,
    [property: Id(3)] DateTimeOffset LeasedAt,
    [property: Id(4)] DateTimeOffset ExpiresAt);

[GenerateSerializer, Immutable, Alias("Dispatch.SubmissionView")]
public sealed record SubmissionView(
    [property: Id(0)] string WorkerId,
    [property: Id(1)] string ResultJson,
    [property: Id(2)] DateTimeOffset SubmittedAt,
    [property: Id(3)] bool? Correct,
    [property: Id(4)] SubmissionState State,
    [property: Id(5)] ReviewView? Review);

/// <summary>A submission of a project for the review listing; <see cref="Cursor"/> continues the listing after it.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.ProjectSubmission")]
public sealed record ProjectSubmission(
    [property: Id(0)] string TaskId,
    [property: Id(1)] SubmissionView Submission,
    [property: Id(2)] SubmissionCursor Cursor);

/// <summary>A place in a project's submissions, oldest first: submission time, then task id, then worker id.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.SubmissionCursor")]
public sealed record SubmissionCursor(
    [property: Id(0)] DateTimeOffset SubmittedAt,
    [property: Id(1)] string TaskId,
    [property: Id(2)] string WorkerId);

[GenerateSerializer, Immutable, Alias("Dispatch.TaskView")]
public sealed record TaskView(
    [property: Id(0)] string Id,
    [property: Id(1)] TaskState State,
    [property: Id(2)] string PayloadJson,
    [property: Id(3)] int Priority,
    [property: Id(4)] int FailedAttempts,
    [property: Id(5)] ImmutableArray<LeaseView> Leases,
    [property: Id(6)] ImmutableArray<SubmissionView> Submissions,
    [property: Id(7)] AggregateView? Aggregate = null);

/// <summary>A completed task for the results export; <see cref="Cursor"/> continues the export after it.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.CompletedTask")]
public sealed record CompletedTask(
    [property: Id(0)] string TaskId,
    [property: Id(1)] string PayloadJson,
    [property: Id(2)] ImmutableArray<SubmissionView> Submissions,
    [property: Id(3)] DateTimeOffset CompletedAt,
    [property: Id(5)] AggregateView? Aggregate = null)
{
    // Id 4 was a completion number shared by every project; it is not reused.
    public CompletionCursor Cursor => new(CompletedAt, TaskId);
}

/// <summary>
/// A place in a project's results export: the completed task's own completion time and id, so that a cursor tells
/// nothing about other projects.
/// </summary>
[GenerateSerializer, Immutable, Alias("Dispatch.CompletionCursor")]
public sealed record CompletionCursor(
    [property: Id(0)] DateTimeOffset CompletedAt,
    [property: Id(1)] string TaskId);
