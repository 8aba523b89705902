using System.Net;
using System.Net.Sockets;

namespace Dispatch.Tests.Infrastructure;

public static class Ports
{
    // Below Linux's ephemeral range (32768-60999 by default): a port the kernel handed out for "any free port" is
    // free only until it closes the probe, and the same range serves every outgoing connection (Npgsql, silo to
    // silo), one of which took such a port before a silo bound it ("address already in use") in a cluster test.
    private const int First = 20000;
    private const int Last = 32000;
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A loopback TCP port free at the time of asking, never handed out before in this process.</summary>
    public static int Free()
    {
        lock (HandedOut)
        {
            while (true)
            {
                var port = Random.Shared.Next(First, Last);
                if (HandedOut.Contains(port) || !Bindable(port))
                {
                    continue;
                }

                HandedOut.Add(port);
                return port;
            }
        }
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
