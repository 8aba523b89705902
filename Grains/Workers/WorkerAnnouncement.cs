using Dispatch.Events;

namespace Dispatch.Grains.Workers;

/// <summary>A worker event waiting in the worker's state for the webhook outbox, under the id it keeps there.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.WorkerAnnouncement")]
public sealed record WorkerAnnouncement(
    [property: Id(0)] string EventId,
    [property: Id(1)] DispatchEvent Event);
