using System.Collections.Immutable;
using Dispatch.Projects;

namespace Dispatch.Grains.SiloViews;

/// <summary>One kind of work of an open project as routing ranks it: its tasks, or (crowd review) its review items.</summary>
public sealed record ClaimRoute(ProjectRoute Project, bool Review)
{
    public string ProjectId => Project.ProjectId;

    /// <summary>Who may take this work: the review requirements for review items, the project's own for its tasks.</summary>
    public ImmutableArray<SkillRequirement> Requirements => Review ? Project.ReviewRequirements : Project.Requirements;

    public int Tier => Review ? Project.ReviewTier : Project.Tier;
}
