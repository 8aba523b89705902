using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Client;

/// <summary>Where a client test class finds its host: a shared memory or PostgreSQL host fixture.</summary>
public abstract class ClientTestBase
{
    protected abstract Task<DispatchApiFactory> GetHostAsync();

    internal async Task<ClientKit> KitAsync(Func<DelegatingHandler>? fault = null)
    {
        var host = await GetHostAsync();
        using var http = host.CreateClient();
        return ClientKit.Create(http.BaseAddress!, host.AdminKey, fault);
    }
}
