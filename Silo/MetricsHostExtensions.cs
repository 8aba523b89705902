using Dispatch.Api.Auth;
using Dispatch.Grains;
using Dispatch.Grains.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Dispatch.Silo;

/// <summary>What this host exports of its meters over OpenTelemetry: a Prometheus scrape endpoint and, if asked, OTLP.</summary>
public static class MetricsHostExtensions
{
    /// <summary>The meters an operator reads: Dispatch's, Orleans', ASP.NET Core's and the runtime's.</summary>
    public static readonly IReadOnlyList<string> Meters =
    [
        DispatchMetrics.MeterName,
        "Microsoft.Orleans",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Runtime",
    ];

    public static WebApplicationBuilder AddDispatchMetrics(this WebApplicationBuilder builder)
    {
        var options = Bind(builder.Configuration);
        if (!options.Enabled)
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dispatch"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter([.. Meters]);

                // A claim takes a few milliseconds; the default boundaries (0, 5, 10, 25, …) would put nearly all in one bucket.
                metrics.AddView("dispatch.claim.duration", new ExplicitBucketHistogramConfiguration { Boundaries = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] });
                if (options.Prometheus)
                {
                    metrics.AddPrometheusExporter();
                }

                if (options.OtlpEndpoint is { } collector)
                {
                    metrics.AddOtlpExporter((otlp, reader) =>
                    {
                        otlp.Endpoint = collector;
                        otlp.Protocol = options.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpExportInterval.TotalMilliseconds;
                    });
                }
            });
        return builder;
    }

    /// <summary>Serves the Prometheus scrape endpoint, behind the admin key when configured so.</summary>
    public static WebApplication MapDispatchMetrics(this WebApplication app)
    {
        var options = Bind(app.Configuration);
        if (!options.Enabled)
        {
            return app;
        }

        // The per-project gauges are published with the meter, which otherwise waits for the first grain that counts.
        app.Services.GetRequiredService<DispatchMetrics>();
        if (options.Prometheus)
        {
            if (options.RequireAdminKey)
            {
                app.UseAdminKeyFor(options.Path);
            }

            app.MapPrometheusScrapingEndpoint(options.Path);
        }

        return app;
    }

    private static MetricsOptions Bind(IConfiguration configuration)
    {
        var options = new MetricsOptions();
        configuration.GetSection(MetricsOptions.Section).Bind(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(MetricsOptions.Section, typeof(MetricsOptions), problems);
        }

        return options;
    }
}
