using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatch.Client;

public enum TaskState
{
    [JsonStringEnumMemberName("open")] Open,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("deadLettered")] DeadLettered,
}

public enum LeaseState
{
    [JsonStringEnumMemberName("active")] Active,
    [JsonStringEnumMemberName("submitted")] Submitted,
    [JsonStringEnumMemberName("expired")] Expired,
    [JsonStringEnumMemberName("released")] Released,
}

/// <summary>A task to import. Without <see cref="Id"/> the server makes one, and the import is then not safe to retry.</summary>
/// <param name="Payload">Any JSON value, at most 64 KiB by default.</param>
public sealed record NewTask(JsonElement Payload)
{
    public string? Id { get; init; }

    /// <summary>Higher first within a project. Default: 0.</summary>
    public int? Priority { get; init; }

    /// <summary>The correct result of a golden task; never shown to workers.</summary>
    public JsonElement? GoldenAnswer { get; init; }
}

/// <summary>One import call's answer; <see cref="Ids"/> in request order, generated ones included.</summary>
public sealed record ImportResult(int Created, int Existing, IReadOnlyList<string> Ids);

public sealed record TaskLease(string LeaseId, string WorkerId, LeaseState State, DateTimeOffset LeasedAt, DateTimeOffset ExpiresAt);

/// <param name="Correct">For golden tasks: whether the result equals the golden answer.</param>
/// <param name="Review">The verdict; null while pending and in a project without review.</param>
public sealed record Submission(string WorkerId, JsonElement Result, DateTimeOffset SubmittedAt, bool? Correct, SubmissionState State = SubmissionState.Accepted, Review? Review = null);

public sealed record TaskView(
    string Id,
    TaskState State,
    JsonElement Payload,
    int Priority,
    int FailedAttempts,
    IReadOnlyList<TaskLease> Leases,
    IReadOnlyList<Submission> Submissions,
    Aggregate? Aggregate = null);

/// <summary>A completed task as the results export lists it; <see cref="Aggregate"/> is null in a project without aggregation.</summary>
public sealed record CompletedTask(string TaskId, JsonElement Payload, IReadOnlyList<Submission> Submissions, DateTimeOffset CompletedAt, Aggregate? Aggregate = null);

/// <summary>One page of a list; <see cref="Next"/> is the cursor of the next page, null at the end.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

internal sealed record ImportBody(IReadOnlyList<NewTask> Tasks);
