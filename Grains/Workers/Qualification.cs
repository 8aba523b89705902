using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Workers;

namespace Dispatch.Grains.Workers;

/// <summary>The outcome of an exam once every task of it was answered.</summary>
public sealed record ExamOutcome(double Score, bool Passed);

/// <summary>The rules that grant and take away certifications: golden-answer quality and exams.</summary>
public static class Qualification
{
    /// <summary>
    /// The held, not yet suspended skills the project requires where the worker has answered at least
    /// <c>minGolden</c> golden tasks (of projects needing that skill) with accuracy below <c>minAccuracy</c>.
    /// </summary>
    public static IReadOnlyList<string> SkillsToSuspend(ProjectSettings project, WorkerTotals totals, IReadOnlyDictionary<string, Certification> certifications)
    {
        if (project.Quality is not { } rule)
        {
            return [];
        }

        return [.. project.Requirements
            .Select(r => r.Skill)
            .Where(skill => certifications.TryGetValue(skill, out var held) && !held.Suspended)
            .Where(skill => totals.GoldenBySkill.GetValueOrDefault(skill) is { } score
                && score.Seen >= rule.MinGolden
                && score.Accuracy < rule.MinAccuracy)];
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
