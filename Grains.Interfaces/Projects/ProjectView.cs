using System.Collections.Immutable;
using Dispatch.Webhooks;

namespace Dispatch.Projects;

/// <summary>A project's lifecycle. Stored; values never change.</summary>
public enum ProjectStatus
{
    Open = 0,
    Paused = 1,
    Closed = 2,
}

/// <summary>Task counts; <c>Total = Open + Completed + DeadLettered</c> always.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.ProjectCounts")]
public sealed record ProjectCounts(
    [property: Id(0)] long Open,
    [property: Id(1)] long Completed,
    [property: Id(2)] long DeadLettered,
    [property: Id(3)] long ActiveLeases,
    [property: Id(4)] long Submissions)
{
    public static readonly ProjectCounts Zero = new(0, 0, 0, 0, 0);

    public long Total => Open + Completed + DeadLettered;

    public ProjectCounts Add(ProjectCounts other) => new(
        Open + other.Open,
        Completed + other.Completed,
        DeadLettered + other.DeadLettered,
        ActiveLeases + other.ActiveLeases,
        Submissions + other.Submissions);
}

/// <param name="OwnerRequesterId">The owning requester, or null for a project created by the admin.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.ProjectView")]
public sealed record ProjectView(
    [property: Id(0)] string Id,
    [property: Id(1)] string? OwnerRequesterId,
    [property: Id(2)] ProjectSettings Settings,
    [property: Id(3)] ProjectStatus Status,
    [property: Id(4)] ProjectCounts Counts,
    [property: Id(5)] DateTimeOffset CreatedAt);

/// <summary>A change of settings; null members stay as they are.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.ProjectPatch")]
public sealed record ProjectPatch(
    [property: Id(0)] ProjectStatus? Status,
    [property: Id(1)] int? Priority,
    [property: Id(2)] decimal? Reward,
    [property: Id(3)] int? LeaseSeconds,
    [property: Id(4)] int? MaxAttempts,
    [property: Id(5)] ReviewRule? Review = null);

/// <summary>A project without its counts: cheap to fetch, and what claims and access checks need.</summary>
/// <param name="OwnerRequesterId">The owning requester, or null for a project created by the admin.</param>
[GenerateSerializer, Immutable, Alias("Dispatch.ProjectInfo")]
public sealed record ProjectInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string? OwnerRequesterId,
    [property: Id(2)] ProjectSettings Settings,
    [property: Id(3)] ProjectStatus Status,
    [property: Id(4)] int QueueShards,
    [property: Id(5)] ImmutableArray<WebhookSubscription> Webhooks = default)
{
    /// <summary>Whether a task change must store its events for delivery (see <see cref="Webhooks"/>).</summary>
    public bool HasWebhooks => !Webhooks.IsDefaultOrEmpty;

    /// <summary>Slots per task: null (unlimited) for an exam, whose every task each eligible worker takes.</summary>
    public int? Overlap => Settings.Exam is null ? Settings.Overlap : null;

    /// <summary>Dynamic overlap as tasks apply it: only with aggregation (which says what an answer is), never in exams.</summary>
    public DynamicOverlapRule? DynamicOverlap => Settings is { Exam: null, Aggregation: not null, DynamicOverlap: { } rule } ? rule : null;
}
