using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Dispatch.Workers;

namespace Dispatch.Api.Workers;

public sealed record CreateWorkerRequest(
    string? Id,
    string? DisplayName = null,
    [property: Range(1, 1000), Description("Leases the worker may hold at once. Default: 5.")] int? MaxActiveLeases = null);

/// <summary>The token appears in this answer only.</summary>
public sealed record CreatedWorker(string Id, string Token);

public sealed record CertificationRequest([property: Range(1, 100)] int? Level);

public sealed record BlockRequest(string? Reason = null);

public sealed record CertificationResponse(string Skill, int Level, string Source, DateTime GrantedAt, bool Suspended);

/// <param name="Accepted">Accepted submissions, those of projects without review included.</param>
/// <param name="Rejected">Submissions rejected by a review.</param>
public sealed record WorkerStatsResponse(long Submitted, long GoldenSeen, long GoldenCorrect, double? Accuracy, long Accepted, long Rejected);

/// <param name="Total">Accepted rewards, review rewards and bonuses.</param>
/// <param name="Pending">Rewards of submissions waiting for a verdict.</param>
/// <param name="Paid">Payouts.</param>
/// <param name="Balance"><c>total - paid</c>: what may still be paid out.</param>
public sealed record EarningsResponse(decimal Total, decimal Pending, decimal Paid, decimal Balance);

public sealed record WorkerResponse(
    string Id,
    string? DisplayName,
    int MaxActiveLeases,
    bool Blocked,
    IReadOnlyList<CertificationResponse> Certifications,
    int ActiveLeases,
    WorkerStatsResponse Stats,
    EarningsResponse Earnings)
{
    public static WorkerResponse From(WorkerView view) => new(
        view.Id,
        view.DisplayName,
        view.MaxActiveLeases,
        view.Blocked,
        [.. view.Certifications.Select(c => new CertificationResponse(c.Skill, c.Level, c.Source == CertificationSource.Exam ? "exam" : "admin", c.GrantedAt.UtcDateTime, c.Suspended))],
        view.ActiveLeases,
        new WorkerStatsResponse(view.Stats.Submitted, view.Stats.GoldenSeen, view.Stats.GoldenCorrect, view.Stats.Accuracy, view.Stats.Accepted, view.Stats.Rejected),
        new EarningsResponse(view.Earnings.Total, view.Earnings.Pending, view.Earnings.Paid, view.Earnings.Balance));
}
