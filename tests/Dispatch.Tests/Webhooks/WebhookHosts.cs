using Dispatch.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Tests.Webhooks;

/// <summary>Hosts for webhook tests: the outbox polled every 100 ms and retries within a second, so tests wait little.</summary>
internal static class WebhookHosts
{
    public static async Task<DispatchApiFactory> StartAsync(
        StorageMode storage, PostgresServer postgres, bool allowPrivateNetworks = true, Action<IServiceCollection>? testServices = null)
    {
        var host = await DispatchApiFactory.ForAsync(storage, postgres);
        host.Settings["Dispatch:Webhooks:AllowPrivateNetworks"] = allowPrivateNetworks ? "true" : "false";
        host.Settings["Dispatch:Webhooks:PollInterval"] = "00:00:00.100";
        host.Settings["Dispatch:Webhooks:FirstRetryDelay"] = "00:00:00.200";
        host.Settings["Dispatch:Webhooks:MaxRetryDelay"] = "00:00:01";
        host.Settings["Dispatch:Webhooks:AttemptTimeout"] = "00:00:02";
        host.Settings["Dispatch:Webhooks:ClaimTimeout"] = "00:00:30";
        host.TestServices = testServices;
        return host.Start();
    }
}
