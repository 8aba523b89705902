using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Projects;

namespace Dispatch.Api.Projects;

/// <summary>
/// Turns a project request into grain messages: the shape of the JSON (required members, known names, sizes the host
/// limits) is checked here; defaults and ranges are the grains' own <see cref="ProjectRules"/>, applied here too so that
/// a caller learns every wrong field at once.
/// </summary>
public static class ProjectRequestMapping
{
    public static ProjectSettings? ToSettings(CreateProjectRequest request, DispatchApiOptions options, Validator validator)
    {
        validator.Id("id", request.Id);
        validator.MaxLength("name", request.Name, 1024);
        validator.MaxLength("instructions", request.Instructions, options.MaxPayloadBytes);
        validator.MaxLength("labelConfig", request.LabelConfig, options.MaxPayloadBytes);

        var requirements = ToRequirements(validator, "requirements", request.Requirements);
        var review = request.Review is { } reviewRequest ? ToReview(reviewRequest, validator) : null;
        if (request.Quality is { } quality)
        {
            validator.Required("quality.minGolden", quality.MinGolden);
            validator.Required("quality.minAccuracy", quality.MinAccuracy);
        }

        if (request.Exam is { } exam)
        {
            validator.Id("exam.skill", exam.Skill);
            validator.Required("exam.level", exam.Level);
            validator.Required("exam.passScore", exam.PassScore);
        }

        var aggregation = request.Aggregation is { } aggregationRequest ? ToAggregation(aggregationRequest, validator) : null;
        if (request.DynamicOverlap is { } dynamic)
        {
            validator.Required("dynamicOverlap.max", dynamic.Max);
            validator.Required("dynamicOverlap.agreement", dynamic.Agreement);
        }

        var settings = new ProjectSettings(
            string.IsNullOrWhiteSpace(request.Name) ? request.Id ?? "" : request.Name,
            request.Instructions,
            request.LabelConfig,
            requirements,
            request.Overlap ?? ProjectRules.DefaultOverlap,
            request.LeaseSeconds ?? ProjectRules.DefaultLeaseSeconds,
            request.MaxAttempts ?? ProjectRules.DefaultMaxAttempts,
            request.Reward ?? 0m,
            request.Priority ?? 0,
            request.Quality is { MinGolden: { } minGolden, MinAccuracy: { } minAccuracy } q ? new QualityRule(minGolden, minAccuracy, q.MinAcceptance) : null,
            request.Exam is { Skill: { } skill, Level: { } level, PassScore: { } passScore } ? new ExamRule(skill, level, passScore) : null,
            review,
            aggregation,
            request.DynamicOverlap is { Max: { } max, Agreement: { } agreement } ? new DynamicOverlapRule(max, agreement) : null);
        validator.AddAll(ProjectRules.Check(settings));
        return validator.IsValid ? settings : null;
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

        var review = request.Review is { } reviewRequest ? ToReview(reviewRequest, validator) : null;
        var patch = new ProjectPatch(status, request.Priority, request.Reward, request.LeaseSeconds, request.MaxAttempts, review);
        validator.AddAll(ProjectRules.Check(patch));
        return validator.IsValid ? patch : null;
    }

    private static ImmutableArray<SkillRequirement> ToRequirements(Validator validator, string name, List<RequirementDto?>? list)
    {
        var requirements = ImmutableArray.CreateBuilder<SkillRequirement>();
        list ??= [];
        for (var i = 0; i < list.Count; i++)
        {
            var field = $"{name}[{i}]";
            if (list[i] is not { } requirement)
            {
                validator.Add(field, "Must be an object {skill, minLevel}.");
                continue;
            }

            validator.Required($"{field}.skill", requirement.Skill);
            validator.Required($"{field}.minLevel", requirement.MinLevel);
            if (requirement is { Skill: { } skill, MinLevel: { } minLevel })
            {
                requirements.Add(new SkillRequirement(skill, minLevel));
            }
        }

        return requirements.ToImmutable();
    }

    private static AggregationRule? ToAggregation(AggregationDto aggregation, Validator validator)
    {
        var method = ApiNames.ParseAggregationMethod(aggregation.Method);
        if (method is null)
        {
            validator.Add("aggregation.method", "Required: majority or dawidSkene.");
        }

        return method is { } chosen ? new AggregationRule(chosen, aggregation.Field) : null;
    }

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
            validator.Add("review.mode", "Required: requester or crowd.");
        }
        else if (mode is null)
        {
            validator.Add("review.mode", "Must be requester or crowd.");
        }

        var requirements = ToRequirements(validator, "review.requirements", review.Requirements);
        return mode is { } chosen
            ? new ReviewRule(chosen, review.AutoAcceptSeconds ?? ProjectRules.DefaultAutoAcceptSeconds, requirements, review.Reward ?? 0m)
            : null;
    }
}
