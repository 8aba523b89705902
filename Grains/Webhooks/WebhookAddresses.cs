using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.Webhooks;

/// <summary>
/// Keeps webhooks out of the server's own networks: a registration's host must resolve to public addresses only, and
/// every connection a delivery opens is checked again, so a name that later resolves elsewhere gains nothing.
/// </summary>
public sealed class WebhookAddresses(IOptions<WebhookOptions> options)
{
    public bool AllowPrivateNetworks { get; } = options.Value.AllowPrivateNetworks;

    /// <summary>Null when the host may be posted to; otherwise why not.</summary>
    public async Task<string?> RefusalAsync(Uri url, CancellationToken cancellationToken = default)
    {
        if (AllowPrivateNetworks)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(url.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"The host '{url.Host}' does not resolve.";
        }

        return addresses.Length == 0
            ? $"The host '{url.Host}' does not resolve."
            : addresses.FirstOrDefault(IsPrivate) is { } found
                ? $"The host '{url.Host}' resolves to {found}, a loopback or private-network address; set Dispatch:Webhooks:AllowPrivateNetworks to allow it."
                : null;
    }

    /// <summary>
    /// The handler deliveries post through: no proxy and no redirects (either would reach addresses nobody checked), and
    /// unless private networks are allowed, a connection only to the public addresses the host resolves to.
    /// </summary>
    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (!AllowPrivateNetworks)
        {
            handler.ConnectCallback = ConnectToPublicAsync;
        }

        return handler;
    }

    private static async ValueTask<Stream> ConnectToPublicAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(a => !IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"Refused to connect to '{host}': it resolves to loopback or private-network addresses only.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Loopback, private, link-local, shared (CGNAT), unique-local and unspecified addresses.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 0
                || b[0] == 10
                || (b[0] == 172 && b[1] is >= 16 and <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && b[1] is >= 64 and <= 127);
        }

        var v6 = address.GetAddressBytes();
        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || (v6[0] & 0xFE) == 0xFC;
    }
}
