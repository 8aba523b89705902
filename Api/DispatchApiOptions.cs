namespace Dispatch.Api;

/// <summary>Settings of the HTTP layer, bound from the <c>Dispatch</c> configuration section.</summary>
public sealed class DispatchApiOptions
{
    public const string Section = "Dispatch";

    /// <summary>The admin's bearer secret. Required; the Development environment's appsettings supply one. Default: none.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Largest task payload, golden answer or submission result, in bytes of JSON. Default: 64 KiB.</summary>
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Most tasks in one import call. Default: 10,000.</summary>
    public int MaxImportTasks { get; set; } = 10_000;

    /// <summary>Largest import request body, in bytes. Default: 16 MiB.</summary>
    public int MaxImportBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest body of any other call, in bytes. Default: 1 MiB.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Per-caller rate limits (<c>Dispatch:RateLimits:*</c>).</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Sentences describing what is wrong; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(AdminKey))
        {
            problems.Add("Dispatch:AdminKey is not set. Set it (for example DISPATCH__ADMINKEY=...) to a long random secret; only the Development environment has a default.");
        }
        else if (AdminKey.Length < 16)
        {
            problems.Add("Dispatch:AdminKey is shorter than 16 characters; use a long random secret.");
        }

        if (MaxPayloadBytes < 1 || MaxImportTasks < 1 || MaxImportBytes < 1 || MaxBodyBytes < 1)
        {
            problems.Add("Dispatch:MaxPayloadBytes, MaxImportTasks, MaxImportBytes and MaxBodyBytes must be positive.");
        }

        return problems;
    }
}
