using System.Collections.Immutable;
using Dispatch.Projects;
using Dispatch.Workers;

namespace Dispatch.Grains.Workers;

public static class Requirements
{
    /// <summary>All requirements hold: each skill held, not suspended, at the minimum level or above.</summary>
    public static bool AreMet(ImmutableArray<SkillRequirement> requirements, IReadOnlyDictionary<string, Certification> certifications) =>
        requirements.IsDefaultOrEmpty || requirements.All(r =>
            certifications.TryGetValue(r.Skill, out var c) && !c.Suspended && c.Level >= r.MinLevel);

    /// <summary>Who may review in crowd mode: the review's own requirements, or the project's when it sets none.</summary>
    public static ImmutableArray<SkillRequirement> ForReview(ReviewRule review, ProjectSettings settings) =>
        review.Requirements.IsDefaultOrEmpty ? settings.Requirements : review.Requirements;
}
