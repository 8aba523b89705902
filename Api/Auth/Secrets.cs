using System.Security.Cryptography;
using System.Text;

namespace Dispatch.Api.Auth;

/// <summary>
/// Requester keys and worker tokens. A secret names its holder (<c>rq.{id}.{random}</c>, <c>wk.{id}.{random}</c>),
/// so it is checked against that one grain's stored hash: no global index of secrets exists to become a hot spot.
/// 256 random bits make a plain SHA-256 hash safe to store; a slow password hash buys nothing here.
/// </summary>
public static class Secrets
{
    public const string RequesterPrefix = "rq";
    public const string WorkerPrefix = "wk";

    public static string Issue(string prefix, string id) =>
        $"{prefix}.{id}.{Base64Url(RandomNumberGenerator.GetBytes(32))}";

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Splits a presented secret into its prefix and holder id; false when it has not that shape.</summary>
    public static bool TryParse(string secret, out string prefix, out string id)
    {
        prefix = id = "";
        var first = secret.IndexOf('.');
        var last = secret.LastIndexOf('.');
        if (first <= 0 || last <= first + 1 || last == secret.Length - 1)
        {
            return false;
        }

        prefix = secret[..first];
        id = secret[(first + 1)..last];
        return true;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
