using System.Net;
using System.Net.Sockets;

namespace Dispatch.Tests.Infrastructure;

public static class Ports
{
    /// <summary>A loopback TCP port free at the time of asking.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
