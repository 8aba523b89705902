using Microsoft.Extensions.Options;

namespace Dispatch.Client;

internal sealed class DispatchClientFactory(IHttpClientFactory httpClients, IOptionsMonitor<DispatchClientOptions> options) : IDispatchClientFactory
{
    public static string HttpClientName(string name) => "Dispatch.Client:" + name;

    public DispatchClient CreateClient(string name) => new(httpClients.CreateClient(HttpClientName(name)), options.Get(name).Secret);
}
