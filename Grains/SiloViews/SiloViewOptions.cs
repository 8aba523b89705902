using Dispatch.Events;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// How long each of this silo's views may answer from memory before it asks the grains again, bound from the
/// <c>Dispatch:SiloViews</c> configuration section. A longer limit saves grain calls on the claim path and lets a
/// change made on another silo be seen later; a silo sees its own changes, and work signals, at once.
/// </summary>
public sealed class SiloViewOptions
{
    public const string Section = "Dispatch:SiloViews";

    /// <summary>
    /// How old this silo's copy of a project's settings (<see cref="ProjectDirectory"/>) may be: how late a claim or
    /// submit on another silo sees a settings change. Default: 1 second.
    /// </summary>
    public TimeSpan ProjectDirectoryMaxAge { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many projects this silo's copy of project settings holds at most: claims may name any project id, existing
    /// or not, and each would otherwise be remembered for ever. Past it, entries older than
    /// <see cref="ProjectDirectoryMaxAge"/> go first, then the oldest. Default: 10,000.
    /// </summary>
    public int ProjectDirectoryMaxEntries { get; set; } = 10_000;

    /// <summary>
    /// How old this silo's copy of the open projects in routing order (<see cref="RoutingTable"/>) may be: how late
    /// a routed claim on another silo sees a project opened, closed or changed. Default: 1 second.
    /// </summary>
    public TimeSpan RoutingTableMaxAge { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How old this silo's picture of where each shard of a project stands (<see cref="ShardHeads"/>) may be before a
    /// claim asks every shard again, so that claims made on other silos cannot skew the claim order for long.
    /// Default: 1 second.
    /// </summary>
    public TimeSpan ShardHeadsMaxAge { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long routing skips a project found without a free task (<see cref="WorkAvailability"/>) before checking
    /// it again, in case the work signal that would have cleared it was lost. Default: 5 seconds.
    /// </summary>
    public TimeSpan WorkAvailabilityMaxAge { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many projects older than <see cref="WorkAvailabilityMaxAge"/> one routed claim checks again, so that
    /// memories made together do not all come due on one unlucky claim. Default: 8.
    /// </summary>
    public int WorkAvailabilityRechecksPerClaim { get; set; } = 8;

    /// <summary>
    /// How often this silo checks that its subscription to the work signals still stands (a silo lost with the
    /// stream's subscription records takes it along; it is then made again) and wakes waiting claims to try once
    /// more, in case a signal was lost. Between these, waiting claims are woken by work signals alone.
    /// Default: 5 seconds.
    /// </summary>
    public TimeSpan WorkSignalFallback { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How old this silo's copy of the projects whose events someone reads (<see cref="EventInterest"/>) may be: how
    /// late an event stream opened on another silo starts to receive this silo's events. Default: 1 second.
    /// </summary>
    public TimeSpan EventInterestMaxAge { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one registration of an event reader counts. An open stream registers again every
    /// <see cref="IEventInterest.RenewSeconds"/> seconds, so this must be longer. Default: 60 seconds.
    /// </summary>
    public TimeSpan EventInterestLease { get; set; } = TimeSpan.FromSeconds(60);

    // Above this a value is far more likely a mistaken format ("5" reads as five days) than a wish.
    private static readonly TimeSpan Longest = TimeSpan.FromHours(1);

    /// <summary>Sentences describing what is wrong; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (name, value) in new[]
        {
            (nameof(ProjectDirectoryMaxAge), ProjectDirectoryMaxAge),
            (nameof(RoutingTableMaxAge), RoutingTableMaxAge),
            (nameof(ShardHeadsMaxAge), ShardHeadsMaxAge),
            (nameof(WorkAvailabilityMaxAge), WorkAvailabilityMaxAge),
            (nameof(WorkSignalFallback), WorkSignalFallback),
            (nameof(EventInterestMaxAge), EventInterestMaxAge),
        })
        {
            if (value <= TimeSpan.Zero || value > Longest)
            {
                problems.Add($"{Section}:{name} must be more than zero and at most 01:00:00 (written hh:mm:ss, so 00:00:01 is one second); it is {value}.");
            }
        }

        if (WorkAvailabilityRechecksPerClaim < 1)
        {
            problems.Add($"{Section}:{nameof(WorkAvailabilityRechecksPerClaim)} must be at least 1, or a project whose work signal was lost would be skipped until the next signal names it; it is {WorkAvailabilityRechecksPerClaim}.");
        }

        if (ProjectDirectoryMaxEntries < 1)
        {
            problems.Add($"{Section}:{nameof(ProjectDirectoryMaxEntries)} must be at least 1; it is {ProjectDirectoryMaxEntries}.");
        }

        if (EventInterestLease <= TimeSpan.FromSeconds(IEventInterest.RenewSeconds) || EventInterestLease > Longest)
        {
            problems.Add($"{Section}:{nameof(EventInterestLease)} must be longer than the {IEventInterest.RenewSeconds} seconds after which an open event stream registers again, and at most 01:00:00; it is {EventInterestLease}.");
        }

        return problems;
    }
}
