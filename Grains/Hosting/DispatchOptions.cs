namespace Dispatch.Grains;

/// <summary>Where Dispatch keeps its state. Values are read from configuration by name.</summary>
public enum StorageMode
{
    /// <summary>In process memory: a single silo, nothing survives a restart.</summary>
    Memory,

    /// <summary>PostgreSQL through Orleans ADO.NET grain storage and Dispatch's own task tables.</summary>
    Postgres,
}

/// <summary>How silos find each other.</summary>
public enum ClusteringMode
{
    /// <summary>A single silo on this machine, or a development cluster with a fixed primary.</summary>
    Localhost,

    /// <summary>ADO.NET membership on the same PostgreSQL database: any number of silos.</summary>
    Postgres,
}

/// <summary>Settings of the Dispatch silo part, bound from the <c>Dispatch</c> configuration section.</summary>
public sealed class DispatchOptions
{
    public const string Section = "Dispatch";

    /// <summary>Where grains, tasks, leases and submissions are stored. Default: <see cref="StorageMode.Memory"/>.</summary>
    public StorageMode Storage { get; set; } = StorageMode.Memory;

    /// <summary>How silos form a cluster; decides whether the schema must also hold membership. Default: <see cref="ClusteringMode.Localhost"/>.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>Npgsql connection string, from <c>ConnectionStrings:Dispatch</c>. Required when anything runs on PostgreSQL. Default: none.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Ready-queue shards per project, fixed when a project is created. Default: 4.</summary>
    public int QueueShards { get; set; } = 4;

    /// <summary>
    /// Most bytes of payloads and results (their UTF-8 JSON) in one page of the task listing, the results export and
    /// the submission listing; a page ends before the item that would pass it, so that a page of 1,000 tasks of 64 KiB
    /// each is not one 64 MiB message. A page always holds at least one item, whatever its size. Default: 4 MiB
    /// (4,194,304).
    /// </summary>
    public long MaxPageBytes { get; set; } = 4 * 1024 * 1024;

    internal bool UsesPostgres => Storage == StorageMode.Postgres || Clustering == ClusteringMode.Postgres;

    /// <summary>Sentences describing what is wrong; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (UsesPostgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            problems.Add("Dispatch runs on PostgreSQL (Dispatch:Storage or Dispatch:Clustering is 'postgres') but ConnectionStrings:Dispatch is not set.");
        }

        if (QueueShards is < 1 or > 256)
        {
            problems.Add($"Dispatch:QueueShards must be between 1 and 256; it is {QueueShards}.");
        }

        if (MaxPageBytes is < 1 or > 256L * 1024 * 1024)
        {
            problems.Add($"Dispatch:MaxPageBytes must be between 1 and 268435456 (256 MiB); it is {MaxPageBytes}.");
        }

        return problems;
    }
}
