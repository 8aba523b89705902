using System.Text.Json.Serialization;

namespace Dispatch.Client;

/// <summary>A new requester: a platform's customer that owns projects.</summary>
/// <param name="Id">Caller-chosen id, <c>^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$</c>.</param>
/// <param name="Name">Display name; required.</param>
public sealed record NewRequester(string Id, string Name);

/// <summary>A requester just created; <see cref="ApiKey"/> is shown here once and never again.</summary>
public sealed record CreatedRequester(string Id, string Name, string ApiKey);

/// <summary>A new worker.</summary>
/// <param name="MaxActiveLeases">1..1000. Default: 5.</param>
public sealed record NewWorker(string Id, string? DisplayName = null, int? MaxActiveLeases = null);

/// <summary>A worker just created; <see cref="Token"/> is shown here once and never again.</summary>
public sealed record CreatedWorker(string Id, string Token);

public enum CertificationSource
{
    [JsonStringEnumMemberName("admin")] Admin,
    [JsonStringEnumMemberName("exam")] Exam,
}

public sealed record Certification(string Skill, int Level, CertificationSource Source, DateTimeOffset GrantedAt, bool Suspended);

/// <param name="Accuracy">Share of golden tasks answered correctly; null before any golden answer.</param>
/// <param name="Accepted">Accepted submissions, those of projects without review included.</param>
public sealed record WorkerStats(long Submitted, long GoldenSeen, long GoldenCorrect, double? Accuracy, long Accepted = 0, long Rejected = 0);

/// <param name="Total">Accepted rewards, review rewards and bonuses.</param>
/// <param name="Pending">Rewards of submissions waiting for a verdict.</param>
/// <param name="Paid">Payouts.</param>
/// <param name="Balance"><c>Total - Paid</c>.</param>
public sealed record WorkerEarnings(decimal Total, decimal Pending, decimal Paid, decimal Balance);

/// <summary>A worker as the API shows it; secrets never appear here.</summary>
public sealed record Worker(
    string Id,
    string? DisplayName,
    int MaxActiveLeases,
    bool Blocked,
    IReadOnlyList<Certification> Certifications,
    int ActiveLeases,
    WorkerStats Stats,
    WorkerEarnings Earnings);

internal sealed record LevelBody(int Level);

internal sealed record ReasonBody(string? Reason);
