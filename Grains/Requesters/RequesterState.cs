namespace Dispatch.Grains.Requesters;

[GenerateSerializer, Alias("Dispatch.RequesterState")]
public sealed class RequesterState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public byte[] KeyHash { get; set; } = [];
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    [Id(4)] public List<string> ProjectIds { get; set; } = [];
}
