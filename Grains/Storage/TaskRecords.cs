using System.Collections.Immutable;
using Dispatch.Tasks;

namespace Dispatch.Grains.Storage;

/// <param name="ReviewOf">For a review lease (crowd review), the worker whose submission it reviews; null for a task lease.</param>
public sealed record LeaseRecord(string LeaseId, string WorkerId, LeaseState State, DateTimeOffset LeasedAt, DateTimeOffset ExpiresAt, string? ReviewOf = null)
{
    public bool IsReview => ReviewOf is not null;


    public LeaseView ToView() => new(LeaseId, WorkerId, State, LeasedAt, ExpiresAt);
}

/// <param name="Reward">What the worker was credited for it; earnings are the sum of these.</param>
/// <param name="Skills">The skills the project required when it was submitted: golden scores and reviews count towards them.</param>
/// <param name="State">Accepted from the start in a project without review; pending until a verdict otherwise.</param>
/// <param name="DecidedAt">When it was accepted or rejected; null while pending.</param>
/// <param name="Review">The verdict of a review; null while pending, and for a submission of a project without review.</param>
/// <param name="ReviewReward">What the crowd reviewer who gave the verdict was credited for it (0 otherwise).</param>
public sealed record SubmissionRecord(
    string WorkerId,
    string LeaseId,
    string ResultJson,
    DateTimeOffset SubmittedAt,
    bool? Correct,
    decimal Reward,
    ImmutableArray<string> Skills,
    SubmissionState State = SubmissionState.Accepted,
    DateTimeOffset? DecidedAt = null,
    ReviewView? Review = null,
    decimal ReviewReward = 0m)
{
    public SubmissionView ToView() => new(WorkerId, ResultJson, SubmittedAt, Correct, State, Review);

    /// <summary>Whether it holds one of the task's slots: pending and accepted ones do, a rejected one gave it back.</summary>
    public bool HoldsSlot => State != SubmissionState.Rejected;
}

/// <summary>A task as stored, with every lease and submission it ever had.</summary>
public sealed record TaskRecord(
    string TaskId,
    int Shard,
    long Version,
    TaskState State,
    int Priority,
    long Sequence,
    string PayloadJson,
    string? GoldenAnswerJson,
    int FailedAttempts,
    TaskLeases Leases,
    TaskSubmissions Submissions)
{
    public TaskView ToView() => new(
        TaskId, State, PayloadJson, Priority, FailedAttempts,
        [.. Leases.Select(l => l.ToView())],
        [.. Submissions.Select(s => s.ToView())]);
}

/// <summary>
/// One transition of a task, written atomically and only if the stored version is still the one it was
/// decided on (so a second activation of the same task can never write over the first).
/// </summary>
public sealed record TaskChange(
    TaskState State,
    int FailedAttempts,
    bool Completes,
    LeaseRecord? NewLease,
    ImmutableArray<LeaseRecord> UpdatedLeases,
    SubmissionRecord? NewSubmission,
    SubmissionRecord? DecidedSubmission = null);

/// <summary>An active lease as the worker sees it after a restart.</summary>
/// <param name="ReviewResultJson">For a review lease, the result under review.</param>
public sealed record ActiveLeaseRecord(string ProjectId, string TaskId, LeaseRecord Lease, string PayloadJson, string? ReviewResultJson = null);

/// <summary>Golden answers given and how many were right.</summary>
public sealed record GoldenScore(long Seen, long Correct)
{
    public static readonly GoldenScore None = new(0, 0);

    public double Accuracy => Seen == 0 ? 1.0 : (double)Correct / Seen;

    public GoldenScore Add(bool correct) => new(Seen + 1, Correct + (correct ? 1 : 0));
}

/// <summary>
/// What a worker's submissions add up to, overall and per skill for golden answers and reviews.
/// <see cref="ReviewedBySkill"/> reuses <see cref="GoldenScore"/>: seen is reviewed, correct is accepted.
/// </summary>
/// <param name="Earnings">Rewards of accepted submissions: a reward is earned on acceptance, never before.</param>
/// <param name="Accepted">Accepted submissions, those of projects without review included.</param>
/// <param name="Pending">Rewards of submissions still waiting for a verdict.</param>
/// <param name="ReviewRewards">Rewards of the verdicts this worker gave as a crowd reviewer.</param>
public sealed record WorkerTotals(
    long Submitted,
    GoldenScore Golden,
    decimal Earnings,
    ImmutableDictionary<string, GoldenScore> GoldenBySkill,
    long Accepted = 0,
    long Rejected = 0,
    ImmutableDictionary<string, GoldenScore>? ReviewedBySkill = null,
    decimal Pending = 0m,
    decimal ReviewRewards = 0m)
{
    public static readonly WorkerTotals Zero = new(0, GoldenScore.None, 0m, ImmutableDictionary<string, GoldenScore>.Empty);

    public ImmutableDictionary<string, GoldenScore> Reviews => ReviewedBySkill ?? ImmutableDictionary<string, GoldenScore>.Empty;

    public WorkerTotals AddReviewReward(decimal reward) => this with { ReviewRewards = checked(ReviewRewards + reward) };

    public WorkerTotals Add(bool? correct, decimal reward, IEnumerable<string> skills, SubmissionState state = SubmissionState.Accepted)
    {
        var isAccepted = state == SubmissionState.Accepted;
        var counted = this with
        {
            Submitted = Submitted + 1,
            Accepted = Accepted + (isAccepted ? 1 : 0),
            Earnings = isAccepted ? checked(Earnings + reward) : Earnings,
            Pending = state == SubmissionState.Pending ? checked(Pending + reward) : Pending,
        };
        if (correct is not { } right)
        {
            return counted;
        }

        var bySkill = GoldenBySkill;
        foreach (var skill in skills)
        {
            bySkill = bySkill.SetItem(skill, bySkill.GetValueOrDefault(skill, GoldenScore.None).Add(right));
        }

        return counted with { Golden = Golden.Add(right), GoldenBySkill = bySkill };
    }

    /// <summary>
    /// A pending submission reviewed: it counts as accepted or rejected, and as reviewed in each of its skills; its
    /// reward leaves pending and is earned only when accepted.
    /// </summary>
    public WorkerTotals Reviewed(SubmissionState verdict, decimal reward, IEnumerable<string> skills)
    {
        var accepted = verdict == SubmissionState.Accepted;
        var bySkill = Reviews;
        foreach (var skill in skills)
        {
            bySkill = bySkill.SetItem(skill, bySkill.GetValueOrDefault(skill, GoldenScore.None).Add(accepted));
        }

        return this with
        {
            Accepted = Accepted + (accepted ? 1 : 0),
            Rejected = Rejected + (accepted ? 0 : 1),
            ReviewedBySkill = bySkill,
            Pending = checked(Pending - reward),
            Earnings = accepted ? checked(Earnings + reward) : Earnings,
        };
    }
}

/// <summary>How far a worker is through an exam project.</summary>
public sealed record ExamProgress(long Submitted, long Correct, long Tasks);

/// <summary>A completed task for the results export with its accepted submissions.</summary>
public sealed record CompletedTaskRecord(string TaskId, string PayloadJson, ImmutableArray<SubmissionRecord> Submissions, DateTimeOffset CompletedAt);

/// <summary>A shard's open and dead-lettered tasks (those that may still change) and the counts of all of its tasks.</summary>
public sealed record ShardSnapshot(IReadOnlyList<Dispatch.Work.TaskSnapshot> Tasks, Dispatch.Projects.ProjectCounts Counts);

/// <summary>Thrown when a task changed in storage since it was loaded: the caller must reload, not overwrite.</summary>
public sealed class TaskVersionConflictException(string projectId, string taskId)
    : Exception($"Task '{taskId}' of project '{projectId}' changed in storage since it was loaded.");
