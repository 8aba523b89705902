using Dispatch.Events;
using Dispatch.Grains.Webhooks;
using Dispatch.Projects;

namespace Dispatch.Grains.Workers;

// Worker events for webhooks. The worker's state is grain state, which cannot share a transaction with the webhook
// outbox, so an event that a project's webhooks want is written into the state with the change that causes it, under
// an id fixed there; then it is copied into the outbox, where a copy repeated under that id adds nothing, and dropped
// from the state. A reminder registered before the state write, and ended once nothing waits, wakes a worker whose
// silo died in between; every activation copies what still waits. Projects without webhooks pay none of this.
public sealed partial class WorkerGrain : IRemindable
{
    private const string AnnouncementsReminder = "webhook-announcements";

    // The first tick comes soon, in case the copy right after the write fails; then every minute, as often as reminders
    // may tick. Normally the copy succeeds and the reminder is gone before its first tick.
    private static readonly TimeSpan AnnouncementsReminderDue = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AnnouncementsReminderPeriod = TimeSpan.FromMinutes(1);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == AnnouncementsReminder)
        {
            await StoreAnnouncementsAsync();
        }
    }

    /// <summary>
    /// Makes the change (which returns the events it causes, all of <paramref name="type"/>) and writes the state, then
    /// publishes the events. When the project's webhooks want the type, the events are written with the change and
    /// then stored for delivery; a failure to store them leaves them waiting and does not fail the call.
    /// </summary>
    private async Task ChangeAndAnnounceAsync(ProjectInfo project, string type, Func<DateTimeOffset, IReadOnlyList<DispatchEvent>> change)
    {
        var forWebhooks = project.HasWebhooks && project.Webhooks.Any(w => w.Wants(type));
        if (forWebhooks)
        {
            // Before the change: a registration that fails leaves nothing changed.
            await this.RegisterOrUpdateReminder(AnnouncementsReminder, AnnouncementsReminderDue, AnnouncementsReminderPeriod);
        }

        var announced = change(time.GetUtcNow());
        if (forWebhooks)
        {
            state.State.Announcements.AddRange(announced.Select(e => new WorkerAnnouncement(Guid.NewGuid().ToString("N"), e)));
        }

        await state.WriteOrDeactivateAsync(this, logger);
        foreach (var @event in announced)
        {
            events.Publish(@event);
        }

        if (forWebhooks)
        {
            await StoreAnnouncementsAsync();
        }
    }

    /// <summary>Copies the events waiting in the state into the webhook outbox, drops them from the state, and ends the reminder.</summary>
    private async Task StoreAnnouncementsAsync()
    {
        var waiting = state.State.Announcements.Count;
        try
        {
            if (waiting > 0)
            {
                var entries = new List<WebhookOutboxEntry>();
                foreach (var announcement in state.State.Announcements.GetRange(0, waiting))
                {
                    // Registrations as they are now: one deleted since gets nothing, as for any pending delivery.
                    if (await projects.GetAsync(announcement.Event.ProjectId) is { } project)
                    {
                        entries.AddRange(WebhookEvents.EntriesOf(project, announcement.Event, announcement.EventId));
                    }
                }

                await webhookOutbox.AddAsync(entries);
                state.State.Announcements.RemoveRange(0, waiting);
                await state.WriteOrDeactivateAsync(this, logger);
                LogAnnouncementsStored(logger, WorkerId, waiting, entries.Count);
            }

            if (await this.GetReminder(AnnouncementsReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAnnouncementsNotStored(logger, e, WorkerId, waiting);
        }
    }
}
