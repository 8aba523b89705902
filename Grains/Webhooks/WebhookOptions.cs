namespace Dispatch.Grains.Webhooks;

/// <summary>How webhooks are delivered, bound from <c>Dispatch:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Dispatch:Webhooks";

    /// <summary>
    /// Whether a registration may target loopback, private, link-local or shared (CGNAT) addresses. Default: false,
    /// so that a requester cannot make the server post into its own network.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How often each silo looks for deliveries that are due. Default: 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an attempt may take before it counts as failed. Default: 10 seconds.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The wait after the first failed attempt; each later wait doubles. With the poll interval the first retry comes
    /// within 5 s. Default: 4 seconds.
    /// </summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>The longest wait between two attempts. Default: 1 hour.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after the event attempts go on before the delivery is marked failed. Default: 24 hours.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a silo holds the deliveries it took: if it dies, another silo tries them once this has passed. It must
    /// cover a whole batch at the endpoint's concurrency. Default: 5 minutes.
    /// </summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Deliveries a silo takes in one poll. Default: 50.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>Attempts under way at once to one registration, per silo. Default: 4.</summary>
    public int MaxConcurrencyPerEndpoint { get; set; } = 4;

    /// <summary>Sentences describing what is wrong; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        Positive(nameof(PollInterval), PollInterval);
        Positive(nameof(AttemptTimeout), AttemptTimeout);
        Positive(nameof(FirstRetryDelay), FirstRetryDelay);
        Positive(nameof(GiveUpAfter), GiveUpAfter);
        if (MaxRetryDelay < FirstRetryDelay)
        {
            problems.Add($"{Section}:MaxRetryDelay ({MaxRetryDelay}) must be at least FirstRetryDelay ({FirstRetryDelay}).");
        }

        if (BatchSize is < 1 or > 1000)
        {
            problems.Add($"{Section}:BatchSize must be between 1 and 1000; it is {BatchSize}.");
        }

        if (MaxConcurrencyPerEndpoint is < 1 or > 64)
        {
            problems.Add($"{Section}:MaxConcurrencyPerEndpoint must be between 1 and 64; it is {MaxConcurrencyPerEndpoint}.");
        }

        var batchTime = AttemptTimeout * Math.Ceiling((double)BatchSize / Math.Max(1, MaxConcurrencyPerEndpoint));
        if (ClaimTimeout <= batchTime)
        {
            problems.Add($"{Section}:ClaimTimeout ({ClaimTimeout}) must exceed the time a batch may take at one endpoint ({batchTime}), or deliveries would be taken twice.");
        }

        return problems;

        void Positive(string name, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"{Section}:{name} must be positive; it is {value}.");
            }
        }
    }

    /// <summary>When to try again after <paramref name="attempts"/> failed attempts, or null when it is time to give up.</summary>
    public DateTimeOffset? NextAttempt(DateTimeOffset eventAt, int attempts, DateTimeOffset now)
    {
        var doublings = Math.Clamp(attempts - 1, 0, 30);
        var wait = FirstRetryDelay * Math.Pow(2, doublings);
        if (wait > MaxRetryDelay)
        {
            wait = MaxRetryDelay;
        }

        var next = now + wait;
        return next - eventAt > GiveUpAfter ? null : next;
    }
}
