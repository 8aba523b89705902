namespace Dispatch.Client;

/// <summary>Where a <see cref="DispatchClient"/> sends its calls, as whom, and how it retries.</summary>
public sealed class DispatchClientOptions
{
    /// <summary>The API's root, e.g. <c>http://127.0.0.1:5080</c>. Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The bearer secret: the admin key, a requester's API key or a worker's token. Default: none.</summary>
    public string? Secret { get; set; }

    /// <summary>Retries of one call when its <see cref="Replay"/> class allows one. Default: 4.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Median delay before the first retry, doubled for each next one, with jitter. Default: 500 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest back-off before a retry (a server's <c>Retry-After</c> is waited as sent). Default: 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may wait for the answer's headers; must exceed long polling's 20 s. Default: 100 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    internal IEnumerable<string> Problems()
    {
        if (BaseAddress is not { IsAbsoluteUri: true })
        {
            yield return "Dispatch client: BaseAddress must be an absolute URI such as http://127.0.0.1:5080.";
        }

        if (MaxRetries is < 0 or > 100)
        {
            yield return $"Dispatch client: MaxRetries must be 0..100, not {MaxRetries}.";
        }

        if (RetryDelay <= TimeSpan.Zero || MaxRetryDelay < RetryDelay)
        {
            yield return "Dispatch client: RetryDelay must be more than zero and at most MaxRetryDelay.";
        }

        if (Timeout <= TimeSpan.FromSeconds(20))
        {
            yield return $"Dispatch client: Timeout must be longer than the 20 s a long-polling claim may wait, not {Timeout}.";
        }
    }
}
