using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Dispatch.Bench.Peer;

internal enum Role { None, Admin, Worker }

internal readonly record struct Caller(Role Role, string? WorkerId);

/// <summary>Bearer secrets: the admin key from configuration, worker tokens as SHA-256 hashes (cached once seen).</summary>
internal sealed class PeerAuth(string adminKey)
{
    private readonly byte[] _adminHash = SHA256.HashData(Encoding.UTF8.GetBytes(adminKey));
    private readonly ConcurrentDictionary<string, string> _workersByHash = new();

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public async ValueTask<Caller> AuthenticateAsync(HttpContext http, PeerStore store)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return default;
        }

        var hash = Hash(header[7..]);
        if (CryptographicOperations.FixedTimeEquals(hash, _adminHash))
        {
            return new Caller(Role.Admin, null);
        }

        var key = Convert.ToHexString(hash);
        if (_workersByHash.TryGetValue(key, out var cached))
        {
            return new Caller(Role.Worker, cached);
        }

        var workerId = await store.FindWorkerByTokenAsync(hash, http.RequestAborted);
        if (workerId is null)
        {
            return default;
        }

        _workersByHash[key] = workerId;
        return new Caller(Role.Worker, workerId);
    }
}

/// <summary>Wakes long-polling claims when work may have appeared (an import or an expiry in this process).</summary>
internal sealed class WorkSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await Volatile.Read(ref _next).Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
        }
    }

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>Expires leases whose <c>expires_at</c> passed, once a second, so their slots go back to the crowd.</summary>
internal sealed partial class LeaseSweeper(PeerStore store, WorkSignal signal, ILogger<LeaseSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await store.ExpireLeasesAsync(stoppingToken) > 0)
                {
                    signal.Pulse();
                }
            }
            catch (Npgsql.NpgsqlException e)
            {
                LogSweepFailed(e);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Expiring leases failed; trying again in a second.")]
    private partial void LogSweepFailed(Exception e);
}
