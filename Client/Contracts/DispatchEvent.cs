using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatch.Client;

/// <summary>
/// A task or worker event of a project (<c>task.created</c>, <c>task.leased</c>, <c>task.completed</c>, ...). Types
/// are strings, not an enum, so that a newer server's types reach older clients.
/// </summary>
public sealed record DispatchEvent(string Type, string ProjectId, string? TaskId, string? WorkerId, string? LeaseId, DateTimeOffset At, JsonElement? Data)
{
    /// <summary>The SSE <c>id</c> of the event: the cursor sent back as <c>Last-Event-ID</c> on reconnect.</summary>
    [JsonIgnore]
    public string? EventId { get; init; }
}
