using Dispatch.Workers;

namespace Dispatch.Grains.Workers;

[GenerateSerializer, Alias("Dispatch.WorkerState")]
public sealed class WorkerState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string? DisplayName { get; set; }
    [Id(2)] public int MaxActiveLeases { get; set; }
    [Id(3)] public byte[] TokenHash { get; set; } = [];
    [Id(4)] public bool Blocked { get; set; }
    [Id(5)] public string? BlockReason { get; set; }
    [Id(6)] public Dictionary<string, Certification> Certifications { get; set; } = new(StringComparer.Ordinal);
    [Id(7)] public WorkerStats Stats { get; set; } = WorkerStats.Empty;
    [Id(8)] public decimal EarningsTotal { get; set; }
    [Id(9)] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Events for webhooks written with the change that caused them, until the webhook outbox holds them.</summary>
    [Id(10)] public List<WorkerAnnouncement> Announcements { get; set; } = [];
}
