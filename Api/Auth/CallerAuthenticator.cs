using System.Net;
using System.Security.Cryptography;
using Dispatch.Common;
using Dispatch.Requesters;
using Dispatch.Workers;
using Microsoft.Extensions.Caching.Memory;

namespace Dispatch.Api.Auth;

/// <summary>What a bearer secret turned out to be: a caller, nobody, or not looked at yet because the client must wait.</summary>
public readonly record struct Authentication(Caller? Caller, TimeSpan? RetryAfter);

/// <summary>
/// Turns a bearer secret into a <see cref="Caller"/>. Verified secrets are remembered by hash for a minute in this
/// process, so a worker's claim and submit do not each cost an extra grain call. A secret that still needs its grain
/// asked first counts against its client address's limit (<see cref="CallerRateLimiter.UnverifiedRefusal"/>), and
/// one found wrong is remembered for a while, so guessing costs no grain call per guess.
/// </summary>
public sealed class CallerAuthenticator(IGrainFactory grains, byte[] adminKeyHash, TimeProvider time, CallerRateLimiter limiter) : IDisposable
{
    private static readonly TimeSpan Remember = TimeSpan.FromMinutes(1);

    // Secrets are issued by the grains that verify them, so a wrong one does not turn right while it is remembered.
    private static readonly TimeSpan RememberRefusal = TimeSpan.FromSeconds(30);

    private readonly MemoryCache _verified = new(new MemoryCacheOptions { SizeLimit = 200_000, Clock = null });
    private readonly MemoryCache _refused = new(new MemoryCacheOptions { SizeLimit = 100_000, Clock = null });

    public async Task<Authentication> AuthenticateAsync(string? secret, IPAddress? client)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return default;
        }

        var hash = Secrets.Hash(secret);
        if (CryptographicOperations.FixedTimeEquals(hash, adminKeyHash))
        {
            return new(Caller.Admin, null);
        }

        var cacheKey = Convert.ToHexString(hash);
        if (_verified.TryGetValue(cacheKey, out Caller? known))
        {
            return new(known, null);
        }

        if (limiter.UnverifiedRefusal(client) is { } wait)
        {
            return new(null, wait);
        }

        if (_refused.TryGetValue(cacheKey, out _))
        {
            return default;
        }

        var caller = await VerifyAsync(secret, hash);
        var remembered = new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = time.GetUtcNow() + (caller is null ? RememberRefusal : Remember) };
        if (caller is not null)
        {
            _verified.Set(cacheKey, caller, remembered);
        }
        else
        {
            _refused.Set(cacheKey, true, remembered);
        }

        return new(caller, null);
    }

    public void Dispose()
    {
        _verified.Dispose();
        _refused.Dispose();
    }

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
