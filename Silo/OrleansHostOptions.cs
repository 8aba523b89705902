namespace Dispatch.Silo;

/// <summary>The <c>Orleans</c> configuration section: this silo's identity and ports.</summary>
public sealed class OrleansHostOptions
{
    public const string Section = "Orleans";

    /// <summary>Silos with the same cluster id form one cluster. Default: dispatch.</summary>
    public string ClusterId { get; set; } = "dispatch";

    /// <summary>Grain state is keyed by service id; keep it across deployments. Default: dispatch.</summary>
    public string ServiceId { get; set; } = "dispatch";

    /// <summary>Silo-to-silo port. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port for Orleans clients. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one at (PostgreSQL clustering). Default: 127.0.0.1.</summary>
    public string AdvertisedIP { get; set; } = "127.0.0.1";
}
