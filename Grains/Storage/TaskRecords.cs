using System.Collections.Immutable;
using Dispatch.Tasks;

namespace Dispatch.Grains.Storage;

public sealed record LeaseRecord(string LeaseId, string WorkerId, LeaseState State, DateTimeOffset LeasedAt, DateTimeOffset ExpiresAt)
{
    public LeaseView ToView() => new(LeaseId, WorkerId, State, LeasedAt, ExpiresAt);
}

/// <param name="Reward">What the worker was credited for it; earnings are the sum of these.</param>
/// <param name="Skills">The skills the project required when it was submitted: golden scores count towards them.</param>
public sealed record SubmissionRecord(string WorkerId, string LeaseId, string ResultJson, DateTimeOffset SubmittedAt, bool? Correct, decimal Reward, ImmutableArray<string> Skills)
{
    public SubmissionView ToView() => new(WorkerId, ResultJson, SubmittedAt, Correct);
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
    ImmutableArray<LeaseRecord> Leases,
    ImmutableArray<SubmissionRecord> Submissions)
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
    SubmissionRecord? NewSubmission);

/// <summary>An active lease as the worker sees it after a restart.</summary>
public sealed record ActiveLeaseRecord(string ProjectId, string TaskId, LeaseRecord Lease, string PayloadJson);

/// <summary>Golden answers given and how many were right.</summary>
public sealed record GoldenScore(long Seen, long Correct)
{
    public static readonly GoldenScore None = new(0, 0);

    public double Accuracy => Seen == 0 ? 1.0 : (double)Correct / Seen;

    public GoldenScore Add(bool correct) => new(Seen + 1, Correct + (correct ? 1 : 0));
}

/// <summary>What a worker's submissions add up to, overall and per skill for golden answers.</summary>
public sealed record WorkerTotals(long Submitted, GoldenScore Golden, decimal Earnings, ImmutableDictionary<string, GoldenScore> GoldenBySkill)
{
    public static readonly WorkerTotals Zero = new(0, GoldenScore.None, 0m, ImmutableDictionary<string, GoldenScore>.Empty);

    public WorkerTotals Add(bool? correct, decimal reward, IEnumerable<string> skills)
    {
        if (correct is not { } right)
        {
            return this with { Submitted = Submitted + 1, Earnings = checked(Earnings + reward) };
        }

        var bySkill = GoldenBySkill;
        foreach (var skill in skills)
        {
            bySkill = bySkill.SetItem(skill, bySkill.GetValueOrDefault(skill, GoldenScore.None).Add(right));
        }

        return new WorkerTotals(Submitted + 1, Golden.Add(right), checked(Earnings + reward), bySkill);
    }
}

/// <summary>How far a worker is through an exam project.</summary>
public sealed record ExamProgress(long Submitted, long Correct, long Tasks);

/// <summary>A completed task for the results export, with the cursor that follows it.</summary>
public sealed record CompletedTaskRecord(string TaskId, string PayloadJson, ImmutableArray<SubmissionRecord> Submissions, DateTimeOffset CompletedAt, long CompletionSequence);

/// <summary>A shard's open and dead-lettered tasks (those that may still change) and the counts of all of its tasks.</summary>
public sealed record ShardSnapshot(IReadOnlyList<Dispatch.Work.TaskSnapshot> Tasks, Dispatch.Projects.ProjectCounts Counts);

/// <summary>Thrown when a task changed in storage since it was loaded: the caller must reload, not overwrite.</summary>
public sealed class TaskVersionConflictException(string projectId, string taskId)
    : Exception($"Task '{taskId}' of project '{projectId}' changed in storage since it was loaded.");
