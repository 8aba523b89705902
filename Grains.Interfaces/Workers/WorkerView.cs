using System.Collections.Immutable;
using Dispatch.Money;

namespace Dispatch.Workers;

/// <summary>How a certification was granted. Stored; values never change.</summary>
public enum CertificationSource
{
    Admin = 0,
    Exam = 1,
}

[GenerateSerializer, Immutable, Alias("Dispatch.Certification")]
public sealed record Certification(
    [property: Id(0)] string Skill,
    [property: Id(1)] int Level,
    [property: Id(2)] CertificationSource Source,
    [property: Id(3)] DateTimeOffset GrantedAt,
    [property: Id(4)] bool Suspended);

[GenerateSerializer, Immutable, Alias("Dispatch.WorkerStats")]
public sealed record WorkerStats(
    [property: Id(0)] long Submitted,
    [property: Id(1)] long GoldenSeen,
    [property: Id(2)] long GoldenCorrect,
    [property: Id(3)] long Accepted = 0,
    [property: Id(4)] long Rejected = 0)
{
    public static readonly WorkerStats Empty = new(0, 0, 0);

    /// <summary>Share of golden answers that were correct; null before the first one.</summary>
    public double? Accuracy => GoldenSeen == 0 ? null : (double)GoldenCorrect / GoldenSeen;
}

[GenerateSerializer, Immutable, Alias("Dispatch.WorkerView")]
public sealed record WorkerView(
    [property: Id(0)] string Id,
    [property: Id(1)] string? DisplayName,
    [property: Id(2)] int MaxActiveLeases,
    [property: Id(3)] bool Blocked,
    [property: Id(4)] ImmutableArray<Certification> Certifications,
    [property: Id(5)] int ActiveLeases,
    [property: Id(6)] WorkerStats Stats,
    [property: Id(8)] WorkerEarnings Earnings);
