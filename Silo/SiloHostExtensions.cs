using System.Net;
using Dispatch.Grains;
using Dispatch.Grains.Postgres;
using Orleans.Configuration;

namespace Dispatch.Silo;

/// <summary>How this host runs Orleans: the cluster it joins, on which ports, and everything Dispatch adds.</summary>
public static class SiloHostExtensions
{
    public static WebApplicationBuilder AddDispatchSilo(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var orleans = new OrleansHostOptions();
        config.GetSection(OrleansHostOptions.Section).Bind(orleans);
        var clustering = config.GetValue(nameof(DispatchOptions.Clustering), ClusteringMode.Localhost, section: DispatchOptions.Section);

        builder.UseOrleans(silo =>
        {
            if (clustering == ClusteringMode.Postgres)
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = DispatchSiloBuilderExtensions.PostgresInvariant;
                    o.ConnectionString = PostgresConnectionStrings.BoundPool(config.GetConnectionString("Dispatch"));
                });
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = orleans.ClusterId;
                    o.ServiceId = orleans.ServiceId;
                });
                silo.ConfigureEndpoints(IPAddress.Parse(orleans.AdvertisedIP), orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: false);
            }
            else
            {
                silo.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort, serviceId: orleans.ServiceId, clusterId: orleans.ClusterId);
            }

            // Operators may tune failure detection and timeouts without code (e.g. Orleans:Membership:ProbeTimeout);
            // what they set goes over Dispatch's defaults.
            silo.Configure<ClusterMembershipOptions>(FailureDetection.ApplyDefaults);
            silo.Configure<ClusterMembershipOptions>(config.GetSection("Orleans:Membership"));
            silo.Services.PostConfigure<ClusterMembershipOptions>(o => FailureDetection.BoundProbePeriod(o, config.GetSection("Orleans:Membership")));
            GrainDirectoryChoice.UseDistributedDirectory(silo);
            silo.Configure<SiloMessagingOptions>(CallDeadline.ApplyDefaults);
            silo.Configure<SiloMessagingOptions>(config.GetSection("Orleans:Messaging"));
            silo.AddDispatch(o => o.Clustering = clustering);
            silo.AddDispatchDashboard(config);
        });

        return builder;
    }

    private static T GetValue<T>(this IConfiguration config, string key, T fallback, string section) =>
        config.GetSection(section).GetValue(key, fallback)!;
}
