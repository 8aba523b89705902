using Dispatch.Grains.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dispatch.Silo;

/// <summary>Ready when the task store answers a query and the cluster answers a grain call.</summary>
public sealed class ReadinessCheck(ITaskStore taskStore, IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await taskStore.PingAsync(cancellationToken);
            var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            return HealthCheckResult.Healthy($"{silos.Count} active silo(s).");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("Storage or the cluster did not answer.", e);
        }
    }
}
