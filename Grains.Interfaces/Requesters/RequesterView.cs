namespace Dispatch.Requesters;

[GenerateSerializer, Immutable, Alias("Dispatch.RequesterView")]
public sealed record RequesterView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt);
