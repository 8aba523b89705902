namespace Dispatch.Silo;

/// <summary>The <c>Dispatch:Dashboard</c> section: whether operators get the Orleans Dashboard, and where.</summary>
public sealed class OperatorDashboardOptions
{
    public const string Section = "Dispatch:Dashboard";

    /// <summary>
    /// Whether the silo collects dashboard statistics and serves the dashboard, behind the admin key. It profiles
    /// every grain call, which costs throughput, so it is off unless asked for. Default: false.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Where the dashboard is served. Default: /dashboard.</summary>
    public string Path { get; set; } = "/dashboard";

    /// <summary>Sentences describing what is wrong; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems() =>
        Enabled && (string.IsNullOrWhiteSpace(Path) || !Path.StartsWith('/') || Path == "/")
            ? [$"{Section}:{nameof(Path)} must be a path below the root that starts with '/', such as /dashboard; it is '{Path}'."]
            : [];
}
