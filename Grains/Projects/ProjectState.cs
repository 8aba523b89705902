using System.Collections.Immutable;
using Dispatch.Grains.Webhooks;
using Dispatch.Projects;

namespace Dispatch.Grains.Projects;

/// <summary>Settings only: a project's tasks are never part of this state, so it stays small however many there are.</summary>
[GenerateSerializer, Alias("Dispatch.ProjectState")]
public sealed class ProjectState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string? OwnerRequesterId { get; set; }
    [Id(2)] public ProjectSettings? Settings { get; set; }
    [Id(3)] public ProjectStatus Status { get; set; }
    [Id(4)] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Fixed at creation: a task's shard is derived from it, so it may never change.</summary>
    [Id(5)] public int QueueShards { get; set; }
    [Id(6)] public ImmutableArray<StoredWebhook> Webhooks { get; set; } = [];
}
