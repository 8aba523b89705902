using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Workers;

namespace Dispatch.Grains.Workers;

public enum SuspensionCause
{
    /// <summary>Golden answers: <see cref="Suspension.Score"/> counts golden answers and the correct ones.</summary>
    Accuracy,

    /// <summary>Reviews: <see cref="Suspension.Score"/> counts reviewed submissions and the accepted ones.</summary>
    Acceptance,
}

/// <summary>A certification to suspend, why, and the score that fell short.</summary>
public sealed record Suspension(string Skill, SuspensionCause Cause, GoldenScore Score);

/// <summary>The outcome of an exam once every task of it was answered.</summary>
public sealed record ExamOutcome(double Score, bool Passed);

/// <summary>The rules that grant and take away certifications: golden-answer quality and exams.</summary>
public static class Qualification
{
    /// <summary>
    /// The held, not yet suspended skills the project requires where the worker has answered at least
    /// <c>minGolden</c> golden tasks (of projects needing that skill) with accuracy below <c>minAccuracy</c>, or has at
    /// least <c>minGolden</c> reviewed submissions there with a share accepted below <c>minAcceptance</c>.
    /// </summary>
    public static IReadOnlyList<Suspension> SkillsToSuspend(ProjectSettings project, WorkerTotals totals, IReadOnlyDictionary<string, Certification> certifications)
    {
        if (project.Quality is not { } rule)
        {
            return [];
        }

        var suspensions = new List<Suspension>();
        foreach (var skill in project.Requirements.Select(r => r.Skill))
        {
            if (!certifications.TryGetValue(skill, out var held) || held.Suspended)
            {
                continue;
            }

            if (totals.GoldenBySkill.GetValueOrDefault(skill) is { } golden && golden.Seen >= rule.MinGolden && golden.Accuracy < rule.MinAccuracy)
            {
                suspensions.Add(new Suspension(skill, SuspensionCause.Accuracy, golden));
            }
            else if (rule.MinAcceptance is { } minAcceptance
                && totals.Reviews.GetValueOrDefault(skill) is { } reviews && reviews.Seen >= rule.MinGolden && reviews.Accuracy < minAcceptance)
            {
                suspensions.Add(new Suspension(skill, SuspensionCause.Acceptance, reviews));
            }
        }

        return suspensions;
    }

    /// <summary>Null until the worker has submitted every task of the exam; then its score and whether it passed.</summary>
    public static ExamOutcome? ExamOutcome(ExamRule exam, ExamProgress progress)
    {
        if (progress.Tasks == 0 || progress.Submitted < progress.Tasks)
        {
            return null;
        }

        var score = (double)progress.Correct / progress.Tasks;
        return new ExamOutcome(score, score >= exam.PassScore);
    }
}
