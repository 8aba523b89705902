using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dispatch.Grains.Webhooks;

/// <summary>The <c>Dispatch-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c>.</summary>
public static class WebhookSignature
{
    public const string Header = "Dispatch-Signature";
    public const string EventIdHeader = "Dispatch-Event-Id";

    public static string Of(string secret, long unixSeconds, string body)
    {
        var t = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }
}
