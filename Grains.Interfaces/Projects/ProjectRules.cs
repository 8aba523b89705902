using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Money;

namespace Dispatch.Projects;

/// <summary>
/// The defaults and ranges of a project's settings (contract 1.1). The project grain applies them to every create and
/// change, so a platform that calls the grains directly gets the same checks as the HTTP layer, which applies them
/// first to name every wrong field at once.
/// </summary>
public static class ProjectRules
{
    public const int DefaultOverlap = 1;
    public const int MaxOverlap = 100;
    public const int DefaultLeaseSeconds = 300;
    public const int MaxLeaseSeconds = 86_400;
    public const int DefaultMaxAttempts = 10;
    public const int MaxMaxAttempts = 1000;
    public const int DefaultAutoAcceptSeconds = 259_200;
    public const int MaxAutoAcceptSeconds = 2_592_000;
    public const int MaxLevel = 100;
    public const int MaxMinGolden = 1_000_000;

    public static IReadOnlyList<FieldError> Check(ProjectSettings settings)
    {
        var errors = new List<FieldError>();
        Range(errors, "overlap", settings.Overlap, 1, MaxOverlap);
        CheckChangeable(errors, settings.LeaseSeconds, settings.MaxAttempts, settings.Reward);
        Requirements(errors, "requirements", settings.Requirements);
        if (settings.Quality is { } quality)
        {
            Range(errors, "quality.minGolden", quality.MinGolden, 1, MaxMinGolden);
            Share(errors, "quality.minAccuracy", quality.MinAccuracy);
            Share(errors, "quality.minAcceptance", quality.MinAcceptance);
        }

        if (settings.Exam is { } exam)
        {
            Id(errors, "exam.skill", exam.Skill);
            Range(errors, "exam.level", exam.Level, 1, MaxLevel);
            Share(errors, "exam.passScore", exam.PassScore);
        }

        Review(errors, settings.Review);
        Aggregation(errors, settings);
        return errors;
    }

    /// <summary>A <c>field</c> names a member of a result object: a short name, not a path.</summary>
    public const int MaxAggregationFieldLength = 256;

    private static void Aggregation(List<FieldError> errors, ProjectSettings settings)
    {
        if (settings.Aggregation is { } aggregation)
        {
            if (!Enum.IsDefined(aggregation.Method))
            {
                errors.Add(new("aggregation.method", "Must be majority or dawidSkene."));
            }

            if (aggregation.Field is { } field && (field.Length == 0 || field.Length > MaxAggregationFieldLength))
            {
                errors.Add(new("aggregation.field", $"Must be 1..{MaxAggregationFieldLength} characters."));
            }
        }

        if (settings.DynamicOverlap is not { } dynamic)
        {
            return;
        }

        if (settings.Aggregation is null)
        {
            errors.Add(new("dynamicOverlap", "Needs aggregation: agreement is measured on aggregated answers."));
        }

        Range(errors, "dynamicOverlap.max", dynamic.Max, Math.Max(1, settings.Overlap), MaxOverlap);
        Share(errors, "dynamicOverlap.agreement", dynamic.Agreement);
    }

    public static IReadOnlyList<FieldError> Check(ProjectPatch patch)
    {
        var errors = new List<FieldError>();
        if (patch.LeaseSeconds is { } leaseSeconds)
        {
            Range(errors, "leaseSeconds", leaseSeconds, 1, MaxLeaseSeconds);
        }

        if (patch.MaxAttempts is { } maxAttempts)
        {
            Range(errors, "maxAttempts", maxAttempts, 1, MaxMaxAttempts);
        }

        if (patch.Reward is { } reward)
        {
            Reward(errors, "reward", reward);
        }

        Review(errors, patch.Review);
        return errors;
    }

    private static void CheckChangeable(List<FieldError> errors, int leaseSeconds, int maxAttempts, decimal reward)
    {
        Range(errors, "leaseSeconds", leaseSeconds, 1, MaxLeaseSeconds);
        Range(errors, "maxAttempts", maxAttempts, 1, MaxMaxAttempts);
        Reward(errors, "reward", reward);
    }

    private static void Review(List<FieldError> errors, ReviewRule? review)
    {
        if (review is null)
        {
            return;
        }

        if (!Enum.IsDefined(review.Mode))
        {
            errors.Add(new("review.mode", "Must be requester or crowd."));
        }

        Range(errors, "review.autoAcceptSeconds", review.AutoAcceptSeconds, 1, MaxAutoAcceptSeconds);
        Reward(errors, "review.reward", review.Reward);
        Requirements(errors, "review.requirements", review.Requirements);
    }

    private static void Requirements(List<FieldError> errors, string name, ImmutableArray<SkillRequirement> requirements)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requirements.Length; i++)
        {
            var requirement = requirements[i];
            Id(errors, $"{name}[{i}].skill", requirement.Skill);
            Range(errors, $"{name}[{i}].minLevel", requirement.MinLevel, 1, MaxLevel);
            if (!seen.Add(requirement.Skill))
            {
                errors.Add(new($"{name}[{i}].skill", "Each skill may be required once."));
            }
        }
    }

    /// <summary>Rewards are money: bounded so that no worker's sum can overflow, exact to a ten-thousandth.</summary>
    private static void Reward(List<FieldError> errors, string field, decimal amount)
    {
        if (MoneyRules.AmountError(amount, MoneyRules.MaxReward, zeroAllowed: true) is { } error)
        {
            errors.Add(new(field, error));
        }
    }

    private static void Id(List<FieldError> errors, string field, string id)
    {
        if (!Identifiers.IsValid(id))
        {
            errors.Add(new(field, $"Must match {Identifiers.Pattern}."));
        }
    }

    private static void Range(List<FieldError> errors, string field, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add(new(field, $"Must be between {min} and {max}."));
        }
    }

    private static void Share(List<FieldError> errors, string field, double? value)
    {
        if (value is { } v && (double.IsNaN(v) || v < 0 || v > 1))
        {
            errors.Add(new(field, "Must be between 0 and 1."));
        }
    }
}
