using System.Text;
using System.Text.Json;
using Dispatch.Events;
using Dispatch.Projects;

namespace Dispatch.Grains.Webhooks;

public static class WebhookEvents
{
    /// <summary>One entry per event and registration that wants it; each event gets one id for all registrations.</summary>
    public static IReadOnlyList<WebhookOutboxEntry> EntriesOf(ProjectInfo project, IEnumerable<DispatchEvent> events) =>
        [.. events.SelectMany(e => EntriesOf(project, e, Guid.NewGuid().ToString("N")))];

    /// <summary>One entry per registration that wants the event, all under the given id.</summary>
    public static IReadOnlyList<WebhookOutboxEntry> EntriesOf(ProjectInfo project, DispatchEvent @event, string eventId)
    {
        if (!project.HasWebhooks || !project.Webhooks.Any(w => w.Wants(@event.Type)))
        {
            return [];
        }

        var body = Body(@event, eventId);
        return [.. project.Webhooks.Where(w => w.Wants(@event.Type)).Select(w => new WebhookOutboxEntry(project.Id, w.Id, eventId, @event.Type, body, @event.At))];
    }

    /// <summary>The event as the events endpoint serves it, with its id first.</summary>
    public static string Body(DispatchEvent @event, string id)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("type", @event.Type);
            json.WriteString("projectId", @event.ProjectId);
            json.WriteString("taskId", @event.TaskId);
            json.WriteString("workerId", @event.WorkerId);
            json.WriteString("leaseId", @event.LeaseId);
            json.WriteString("at", @event.At.UtcDateTime);
            json.WritePropertyName("data");
            if (@event.DataJson is null)
            {
                json.WriteNullValue();
            }
            else
            {
                json.WriteRawValue(@event.DataJson);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
