using System.Collections.Immutable;
using Dispatch.Projects;

namespace Dispatch.Api.Projects;

/// <summary>Checks a project request against the contract's ranges and turns it into grain messages with defaults.</summary>
public static class ProjectRequestMapping
{
    public const int DefaultOverlap = 1;
    public const int DefaultLeaseSeconds = 300;
    public const int DefaultMaxAttempts = 10;
    public const int DefaultAutoAcceptSeconds = 259_200;
    public const int MaxAutoAcceptSeconds = 2_592_000;

    public static ProjectSettings? ToSettings(CreateProjectRequest request, DispatchApiOptions options, Validator validator)
    {
        validator.Id("id", request.Id);
        validator.MaxLength("name", request.Name, 1024);
        validator.MaxLength("instructions", request.Instructions, options.MaxPayloadBytes);
        validator.MaxLength("labelConfig", request.LabelConfig, options.MaxPayloadBytes);
        validator.Range("overlap", request.Overlap, 1, 100);
        CheckCommon(validator, request.LeaseSeconds, request.MaxAttempts, request.Reward);

        var requirements = ToRequirements(validator, "requirements", request.Requirements);
        var review = request.Review is { } reviewRequest ? ToReview(reviewRequest, validator) : null;
        if (request.Quality is { } quality)
        {
            validator.Required("quality.minGolden", quality.MinGolden);
            validator.Range("quality.minGolden", quality.MinGolden, 1, 1_000_000);
            validator.Required("quality.minAccuracy", quality.MinAccuracy);
            validator.Range("quality.minAccuracy", quality.MinAccuracy, 0.0, 1.0);
            validator.Range("quality.minAcceptance", quality.MinAcceptance, 0.0, 1.0);
        }

        if (request.Exam is { } exam)
        {
            validator.Id("exam.skill", exam.Skill);
            validator.Required("exam.level", exam.Level);
            validator.Range("exam.level", exam.Level, 1, 100);
            validator.Required("exam.passScore", exam.PassScore);
            validator.Range("exam.passScore", exam.PassScore, 0.0, 1.0);
        }

        if (!validator.IsValid)
        {
            return null;
        }

        return new ProjectSettings(
            string.IsNullOrWhiteSpace(request.Name) ? request.Id! : request.Name,
            request.Instructions,
            request.LabelConfig,
            requirements,
            request.Overlap ?? DefaultOverlap,
            request.LeaseSeconds ?? DefaultLeaseSeconds,
            request.MaxAttempts ?? DefaultMaxAttempts,
            request.Reward ?? 0m,
            request.Priority ?? 0,
            request.Quality is { } q ? new QualityRule(q.MinGolden!.Value, q.MinAccuracy!.Value, q.MinAcceptance) : null,
            request.Exam is { } e ? new ExamRule(e.Skill!, e.Level!.Value, e.PassScore!.Value) : null,
            review);
    }

    private static ImmutableArray<SkillRequirement> ToRequirements(Validator validator, string name, List<RequirementDto?>? list)
    {
        var requirements = ImmutableArray.CreateBuilder<SkillRequirement>();
        list ??= [];
        for (var i = 0; i < list.Count; i++)
        {
            var requirement = list[i];
            var field = $"{name}[{i}]";
            if (requirement is null)
            {
                validator.Add(field, "Must be an object {skill, minLevel}.");
                continue;
            }

            validator.Id($"{field}.skill", requirement.Skill);
            validator.Required($"{field}.minLevel", requirement.MinLevel);
            validator.Range($"{field}.minLevel", requirement.MinLevel, 1, 100);
            if (requirement.Skill is not null && requirements.Any(r => r.Skill == requirement.Skill))
            {
                validator.Add($"{field}.skill", "Each skill may be required once.");
            }

            requirements.Add(new SkillRequirement(requirement.Skill ?? "", requirement.MinLevel ?? 0));
        }

        return requirements.ToImmutable();
    }

    /// <summary>
    /// The review setting with its defaults. Crowd review (review items served through the claim call) is not served
    /// yet, so asking for it is refused rather than stored and left undone.
    /// </summary>
    private static ReviewRule? ToReview(ReviewDto review, Validator validator)
    {
        ReviewMode? mode = review.Mode switch
        {
            "requester" => ReviewMode.Requester,
            "crowd" => ReviewMode.Crowd,
            _ => null,
        };
        if (review.Mode is null)
        {
            validator.Add("review.mode", "Required: requester.");
        }
        else if (mode is null)
        {
            validator.Add("review.mode", "Must be requester or crowd.");
        }
        else if (mode == ReviewMode.Crowd)
        {
            validator.Add("review.mode", "Crowd review is not served yet; use requester.");
        }

        validator.Range("review.autoAcceptSeconds", review.AutoAcceptSeconds, 1, MaxAutoAcceptSeconds);
        Money(validator, "review.reward", review.Reward);
        var requirements = ToRequirements(validator, "review.requirements", review.Requirements);
        return mode is { } chosen
            ? new ReviewRule(chosen, review.AutoAcceptSeconds ?? DefaultAutoAcceptSeconds, requirements, review.Reward ?? 0m)
            : null;
    }

    public static ProjectPatch? ToPatch(PatchProjectRequest request, Validator validator)
    {
        ProjectStatus? status = null;
        if (request.Status is not null)
        {
            status = ApiNames.ParseProjectStatus(request.Status);
            if (status is null)
            {
                validator.Add("status", "Must be one of open, paused, closed.");
            }
        }

        CheckCommon(validator, request.LeaseSeconds, request.MaxAttempts, request.Reward);
        var review = request.Review is { } reviewRequest ? ToReview(reviewRequest, validator) : null;
        return validator.IsValid ? new ProjectPatch(status, request.Priority, request.Reward, request.LeaseSeconds, request.MaxAttempts, review) : null;
    }

    private static void CheckCommon(Validator validator, int? leaseSeconds, int? maxAttempts, decimal? reward)
    {
        validator.Range("leaseSeconds", leaseSeconds, 1, 86_400);
        validator.Range("maxAttempts", maxAttempts, 1, 1000);
        Money(validator, "reward", reward);
    }

    /// <summary>Money amounts are bounded so that no sum of them can overflow, and exact to a ten-thousandth.</summary>
    private static void Money(Validator validator, string field, decimal? amount)
    {
        if (amount is not { } value)
        {
            return;
        }

        if (value is < 0 or > MaxMoney)
        {
            validator.Add(field, $"Must be between 0 and {MaxMoney:0}.");
        }
        else if (decimal.Round(value, MoneyDecimals) != value)
        {
            validator.Add(field, $"At most {MoneyDecimals} decimal places.");
        }
    }

    private const decimal MaxMoney = 1_000_000m;

    private const int MoneyDecimals = 4;
}
