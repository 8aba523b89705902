using System.Collections.Immutable;

namespace Dispatch.Projects;

/// <summary>A worker meets it when it holds <see cref="Skill"/>, not suspended, at <see cref="MinLevel"/> or above.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.SkillRequirement")]
public sealed record SkillRequirement(
    [property: Id(0)] string Skill,
    [property: Id(1)] int MinLevel);

/// <summary>
/// Suspends a certification once a worker's golden accuracy falls below <see cref="MinAccuracy"/>, or (when set) the
/// share of its reviewed submissions that were accepted falls below <see cref="MinAcceptance"/>; either only after
/// <see cref="MinGolden"/> golden answers or reviewed submissions.
/// </summary>
[GenerateSerializer, Immutable, Alias("Dispatch.QualityRule")]
public sealed record QualityRule(
    [property: Id(0)] int MinGolden,
    [property: Id(1)] double MinAccuracy,
    [property: Id(2)] double? MinAcceptance = null);

/// <summary>Who reviews a project's submissions. Stored; values never change.</summary>
public enum ReviewMode
{
    Requester = 0,
    Crowd = 1,
}

/// <summary>
/// A project's review: submissions are stored pending until a verdict, and accepted by themselves
/// <see cref="AutoAcceptSeconds"/> after they were stored.
/// </summary>
/// <param name="Requirements">Crowd mode: who may review (empty: the project's own requirements).</param>
/// <param name="Reward">Crowd mode: paid per review.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.ReviewRule")]
public sealed record ReviewRule(
    [property: Id(0)] ReviewMode Mode,
    [property: Id(1)] int AutoAcceptSeconds,
    [property: Id(2)] ImmutableArray<SkillRequirement> Requirements,
    [property: Id(3)] decimal Reward)
{
    public TimeSpan AutoAcceptAfter => TimeSpan.FromSeconds(AutoAcceptSeconds);
}

/// <summary>How a project's answers are combined into one per task. Stored; values never change.</summary>
public enum AggregationMethod
{
    Majority = 0,
    DawidSkene = 1,
}

/// <summary>
/// A project's aggregation: the answer of a submission is its result, or <see cref="Field"/> of it, compared as JSON.
/// </summary>
[GenerateSerializer, Immutable, Alias("Dispatch.AggregationRule")]
public sealed record AggregationRule(
    [property: Id(0)] AggregationMethod Method,
    [property: Id(1)] string? Field);

/// <summary>
/// Dynamic overlap: a task with <c>overlap</c> accepted answers completes only when the leading answer's share is at
/// least <see cref="Agreement"/>; otherwise one more slot opens, up to <see cref="Max"/> submissions.
/// </summary>
[GenerateSerializer, Immutable, Alias("Dispatch.DynamicOverlapRule")]
public sealed record DynamicOverlapRule(
    [property: Id(0)] int Max,
    [property: Id(1)] double Agreement);

/// <summary>A qualification exam granting <see cref="Skill"/> at <see cref="Level"/> at or above <see cref="PassScore"/>.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.ExamRule")]
public sealed record ExamRule(
    [property: Id(0)] string Skill,
    [property: Id(1)] int Level,
    [property: Id(2)] double PassScore);

/// <summary>Everything a requester chooses about a project. Defaults are applied by the API.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.ProjectSettings")]
public sealed record ProjectSettings(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Instructions,
    [property: Id(2)] string? LabelConfig,
    [property: Id(3)] ImmutableArray<SkillRequirement> Requirements,
    [property: Id(4)] int Overlap,
    [property: Id(5)] int LeaseSeconds,
    [property: Id(6)] int MaxAttempts,
    [property: Id(7)] decimal Reward,
    [property: Id(8)] int Priority,
    [property: Id(9)] QualityRule? Quality,
    [property: Id(10)] ExamRule? Exam,
    [property: Id(11)] ReviewRule? Review = null,
    [property: Id(12)] AggregationRule? Aggregation = null,
    [property: Id(13)] DynamicOverlapRule? DynamicOverlap = null);
