using System.Security.Cryptography;
using Dispatch.Common;
using Dispatch.Requesters;
using Dispatch.Workers;
using Microsoft.Extensions.Caching.Memory;

namespace Dispatch.Api.Auth;

/// <summary>
/// Turns a bearer secret into a <see cref="Caller"/>. Verified secrets are remembered by hash for a minute in this
/// process, so a worker's claim and submit do not each cost an extra grain call.
/// </summary>
public sealed class CallerAuthenticator(IGrainFactory grains, byte[] adminKeyHash, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan Remember = TimeSpan.FromMinutes(1);

    private readonly MemoryCache _verified = new(new MemoryCacheOptions { SizeLimit = 200_000, Clock = null });

    public async Task<Caller?> AuthenticateAsync(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return null;
        }

        var hash = Secrets.Hash(secret);
        if (CryptographicOperations.FixedTimeEquals(hash, adminKeyHash))
        {
            return Caller.Admin;
        }

        var cacheKey = Convert.ToHexString(hash);
        if (_verified.TryGetValue(cacheKey, out Caller? known))
        {
            return known;
        }

        var caller = await VerifyAsync(secret, hash);
        if (caller is not null)
        {
            _verified.Set(cacheKey, caller, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = time.GetUtcNow() + Remember });
        }

        return caller;
    }

    public void Dispose() => _verified.Dispose();

    private async Task<Caller?> VerifyAsync(string secret, byte[] hash)
    {
        if (!Secrets.TryParse(secret, out var prefix, out var id) || !Identifiers.IsValid(id))
        {
            return null;
        }

        return prefix switch
        {
            Secrets.RequesterPrefix when await grains.GetReference<IRequesterGrain>(id).HasKeyAsync(hash) => new Caller(Roles.Requester, id),
            Secrets.WorkerPrefix when await grains.GetReference<IWorkerGrain>(id).HasTokenAsync(hash) => new Caller(Roles.Worker, id),
            _ => null,
        };
    }
}
