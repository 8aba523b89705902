using System.Collections.Concurrent;

namespace Dispatch.Tests.Postgres;

/// <summary>A grain that only exercises grain storage and reminders, so the provider tests depend on no Dispatch rule.</summary>
[Alias("Dispatch.Tests.Postgres.IProbeGrain")]
public interface IProbeGrain : IGrainWithStringKey
{
    [Alias("Write")]
    Task WriteAsync(string value);

    [Alias("Read")]
    Task<ProbeSnapshot> ReadAsync();

    [Alias("Clear")]
    Task ClearAsync();

    [Alias("RegisterReminder")]
    Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan period);

    [Alias("HasReminder")]
    Task<bool> HasReminderAsync(string name);

    [Alias("UnregisterReminder")]
    Task UnregisterReminderAsync(string name);
}

/// <summary>What the grain's persistent state looks like from inside the grain.</summary>
[GenerateSerializer, Immutable, Alias("Dispatch.Tests.Postgres.ProbeSnapshot")]
public sealed record ProbeSnapshot(
    [property: Id(0)] string? Value,
    [property: Id(1)] bool RecordExists,
    [property: Id(2)] string? ETag);

[GenerateSerializer, Alias("Dispatch.Tests.Postgres.ProbeState")]
public sealed class ProbeState
{
    [Id(0)]
    public string? Value { get; set; }
}

public sealed class ProbeGrain([PersistentState(ProbeGrain.StateName, ProbeGrain.StorageName)] IPersistentState<ProbeState> state)
    : Grain, IProbeGrain, IRemindable
{
    public const string StateName = "probe";
    public const string StorageName = "dispatch";

    /// <summary>Reminder ticks received, by grain key and reminder name, across activations and silos of the test process.</summary>
    public static ConcurrentDictionary<(string Key, string Reminder), int> Ticks { get; } = new();

    public async Task WriteAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<ProbeSnapshot> ReadAsync() => Task.FromResult(new ProbeSnapshot(state.State.Value, state.RecordExists, state.Etag));

    public Task ClearAsync() => state.ClearStateAsync();

    public Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan period) =>
        this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task<bool> HasReminderAsync(string name) => await this.GetReminder(name) is not null;

    public async Task UnregisterReminderAsync(string name)
    {
        var reminder = await this.GetReminder(name) ?? throw new InvalidOperationException($"No reminder '{name}'.");
        await this.UnregisterReminder(reminder);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.AddOrUpdate((this.GetPrimaryKeyString(), reminderName), 1, (_, count) => count + 1);
        return Task.CompletedTask;
    }
}
