namespace Dispatch.Grains.Metrics;

/// <summary>
/// What the host exports of its meters and how the per-project gauges are gathered, bound from the
/// <c>Dispatch:Metrics</c> configuration section.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Dispatch:Metrics";

    /// <summary>Whether the host exports metrics over OpenTelemetry at all. Default: true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether the host serves the Prometheus text format at <see cref="Path"/>. Default: true.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>Where the Prometheus scrape endpoint listens. Default: /metrics.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>Whether a scrape must present the admin key (bearer, or basic with the key as password). Default: false.</summary>
    public bool RequireAdminKey { get; set; }

    /// <summary>
    /// An OTLP collector to push metrics to as well: e.g. http://127.0.0.1:4317 over gRPC, or the full URL
    /// http://127.0.0.1:4318/v1/metrics over http/protobuf. Default: none.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>How metrics travel to <see cref="OtlpEndpoint"/>: <c>grpc</c> or <c>http/protobuf</c>. Default: grpc.</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>How often metrics are pushed to <see cref="OtlpEndpoint"/>. Default: 60 seconds.</summary>
    public TimeSpan OtlpExportInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many projects get series of their own in the per-project gauges: those with the most open tasks. The
    /// others are summed under <c>project="_other"</c>, so the sum of a gauge's series is still the whole. Default: 100.
    /// </summary>
    public int MaxProjects { get; set; } = 100;

    /// <summary>
    /// How old the per-project counts may be when read: an older reading starts a new count in the background, so a
    /// scrape sees counts taken at most this long before it plus one count's time. Default: 15 seconds.
    /// </summary>
    public TimeSpan ProjectCountsMaxAge { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Sentences describing what is wrong; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Prometheus && (string.IsNullOrWhiteSpace(Path) || !Path.StartsWith('/')))
        {
            problems.Add($"{Section}:{nameof(Path)} must be a path that starts with '/'; it is '{Path}'.");
        }

        if (MaxProjects is < 1 or > 10_000)
        {
            problems.Add($"{Section}:{nameof(MaxProjects)} must be between 1 and 10000 (each project adds three series); it is {MaxProjects}.");
        }

        if (ProjectCountsMaxAge <= TimeSpan.Zero || ProjectCountsMaxAge > TimeSpan.FromHours(1))
        {
            problems.Add($"{Section}:{nameof(ProjectCountsMaxAge)} must be more than zero and at most 01:00:00 (written hh:mm:ss, so 00:00:15 is fifteen seconds); it is {ProjectCountsMaxAge}.");
        }

        if (OtlpEndpoint is { IsAbsoluteUri: false })
        {
            problems.Add($"{Section}:{nameof(OtlpEndpoint)} must be an absolute URI such as http://127.0.0.1:4317; it is '{OtlpEndpoint}'.");
        }

        if (OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            problems.Add($"{Section}:{nameof(OtlpProtocol)} must be 'grpc' or 'http/protobuf'; it is '{OtlpProtocol}'.");
        }

        if (OtlpExportInterval < TimeSpan.FromMilliseconds(100) || OtlpExportInterval > TimeSpan.FromHours(1))
        {
            problems.Add($"{Section}:{nameof(OtlpExportInterval)} must be between 00:00:00.100 and 01:00:00; it is {OtlpExportInterval}.");
        }

        return problems;
    }
}
