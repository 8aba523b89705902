using System.Text.Json.Serialization;

namespace Dispatch.Client;

/// <summary>A worker meets it when it holds <see cref="Skill"/>, not suspended, at a level of at least <see cref="MinLevel"/>.</summary>
public sealed record Requirement(string Skill, int MinLevel);

/// <summary>Suspends a certification once <see cref="MinGolden"/> golden answers show accuracy below <see cref="MinAccuracy"/>.</summary>
public sealed record QualityRule(int? MinGolden, double? MinAccuracy);

/// <summary>A qualification exam: passing (score at or above <see cref="PassScore"/>) grants <see cref="Skill"/> at <see cref="Level"/>.</summary>
public sealed record ExamRule(string Skill, int Level, double PassScore);

public enum ProjectStatus
{
    [JsonStringEnumMemberName("open")] Open,
    [JsonStringEnumMemberName("paused")] Paused,
    [JsonStringEnumMemberName("closed")] Closed,
}

/// <summary>A new project; every setting left null takes the server's default.</summary>
public sealed record NewProject(string Id)
{
    /// <summary>Default: the id.</summary>
    public string? Name { get; init; }

    public string? Instructions { get; init; }

    /// <summary>A labelling-interface description (Label Studio's XML config format).</summary>
    public string? LabelConfig { get; init; }

    /// <summary>All must hold. Default: none (anyone not blocked).</summary>
    public IReadOnlyList<Requirement>? Requirements { get; init; }

    /// <summary>Distinct workers that must submit before a task is completed, 1..100. Default: 1.</summary>
    public int? Overlap { get; init; }

    /// <summary>1..86400. Default: 300.</summary>
    public int? LeaseSeconds { get; init; }

    /// <summary>Failed leases a task may have before it is dead-lettered, 1..1000. Default: 10.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Credited per accepted submission, at most 4 decimal places. Default: 0.</summary>
    public decimal? Reward { get; init; }

    /// <summary>Default: 0.</summary>
    public int? Priority { get; init; }

    public QualityRule? Quality { get; init; }

    public ExamRule? Exam { get; init; }

    /// <summary>Submissions wait for a verdict. Default: none (accepted when stored).</summary>
    public ReviewRule? Review { get; init; }

    /// <summary>One answer per completed task. Default: none.</summary>
    public AggregationRule? Aggregation { get; init; }

    /// <summary>Ask more workers until they agree (needs <see cref="Aggregation"/>). Default: none.</summary>
    public DynamicOverlapRule? DynamicOverlap { get; init; }
}

/// <summary>How answers combine into one per task.</summary>
/// <param name="Method"><c>majority</c> or <c>dawidSkene</c>.</param>
/// <param name="Field">Compare <c>result[Field]</c> rather than the whole result.</param>
public sealed record AggregationRule(string Method, string? Field = null);

/// <param name="Max">At most this many accepted answers per task (overlap..100).</param>
/// <param name="Agreement">The leading answer's share (0..1) at which a task at overlap completes.</param>
public sealed record DynamicOverlapRule(int Max, double Agreement);

/// <summary>The settings a <c>PATCH</c> may change; null ones stay as they are. Closed is final.</summary>
public sealed record ProjectChanges
{
    public ProjectStatus? Status { get; init; }

    public int? Priority { get; init; }

    public decimal? Reward { get; init; }

    public int? LeaseSeconds { get; init; }

    public int? MaxAttempts { get; init; }

    /// <summary>Replaces the project's review setting.</summary>
    public ReviewRule? Review { get; init; }
}

/// <summary><c>Total = Open + Completed + DeadLettered</c> at all times.</summary>
public sealed record ProjectCounts(long Total, long Open, long Completed, long DeadLettered, long ActiveLeases, long Submissions);

public sealed record Project(
    string Id,
    string Name,
    string? Instructions,
    string? LabelConfig,
    IReadOnlyList<Requirement> Requirements,
    int Overlap,
    int LeaseSeconds,
    int MaxAttempts,
    decimal Reward,
    int Priority,
    QualityRule? Quality,
    ExamRule? Exam,
    ProjectStatus Status,
    ProjectCounts Counts);

internal sealed record ProjectList(IReadOnlyList<Project> Items);
