using Dispatch.Common;

namespace Dispatch.Workers;

/// <summary>A worker of the crowd: its certifications, block status, stats and token hash.</summary>
[Alias("Dispatch.IWorkerGrain")]
public interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Creates the worker; <see cref="ErrorKind.Conflict"/> when it exists.</summary>
    [Alias("Create")]
    Task<Result<WorkerView>> CreateAsync(string? displayName, int maxActiveLeases, byte[] tokenHash);

    [Alias("Get")]
    Task<WorkerView?> GetAsync();

    /// <summary>True when <paramref name="tokenHash"/> is this worker's token hash (constant-time comparison).</summary>
    [Alias("HasToken")]
    Task<bool> HasTokenAsync(byte[] tokenHash);

    /// <summary>Grants or changes a certification. A grant lifts a suspension of that skill.</summary>
    [Alias("Certify")]
    Task<Result<WorkerView>> CertifyAsync(string skill, int level, CertificationSource source);

    /// <summary>Revokes a certification; succeeds when the worker exists, whether or not it held the skill.</summary>
    [Alias("Revoke")]
    Task<Result<WorkerView>> RevokeAsync(string skill);

    [Alias("Block")]
    Task<Result<WorkerView>> BlockAsync(string? reason);

    [Alias("Unblock")]
    Task<Result<WorkerView>> UnblockAsync();
}
