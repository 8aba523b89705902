using System.Collections.Immutable;
using System.Security.Cryptography;
using Dispatch.Common;
using Dispatch.Workers;

namespace Dispatch.Grains.Workers;

public sealed class WorkerGrain(
    [PersistentState("worker", StorageNames.Grains)] IPersistentState<WorkerState> state,
    TimeProvider time) : Grain, IWorkerGrain
{
    private string WorkerId => this.GetPrimaryKeyString();

    public async Task<Result<WorkerView>> CreateAsync(string? displayName, int maxActiveLeases, byte[] tokenHash)
    {
        if (state.State.Exists)
        {
            return Result<WorkerView>.Fail(ErrorKind.Conflict, $"Worker '{WorkerId}' already exists.");
        }

        state.State = new WorkerState
        {
            Exists = true,
            DisplayName = displayName,
            MaxActiveLeases = maxActiveLeases,
            TokenHash = tokenHash,
            CreatedAt = time.GetUtcNow(),
        };
        await state.WriteOrDeactivateAsync(this);
        return Result<WorkerView>.Ok(View());
    }

    public Task<WorkerView?> GetAsync() => Task.FromResult(state.State.Exists ? View() : null);

    public Task<bool> HasTokenAsync(byte[] tokenHash) =>
        Task.FromResult(state.State.Exists && CryptographicOperations.FixedTimeEquals(state.State.TokenHash, tokenHash));

    public Task<Result<WorkerView>> CertifyAsync(string skill, int level, CertificationSource source) =>
        ChangeAsync(s => s.Certifications[skill] = new Certification(skill, level, source, time.GetUtcNow(), Suspended: false));

    public Task<Result<WorkerView>> RevokeAsync(string skill) => ChangeAsync(s => s.Certifications.Remove(skill));

    public Task<Result<WorkerView>> BlockAsync(string? reason) => ChangeAsync(s =>
    {
        s.Blocked = true;
        s.BlockReason = reason;
    });

    public Task<Result<WorkerView>> UnblockAsync() => ChangeAsync(s =>
    {
        s.Blocked = false;
        s.BlockReason = null;
    });

    private async Task<Result<WorkerView>> ChangeAsync(Action<WorkerState> change)
    {
        if (!state.State.Exists)
        {
            return Result<WorkerView>.Fail(ErrorKind.NotFound, $"Worker '{WorkerId}' does not exist.");
        }

        change(state.State);
        await state.WriteOrDeactivateAsync(this);
        return Result<WorkerView>.Ok(View());
    }

    private WorkerView View() => new(
        WorkerId,
        state.State.DisplayName,
        state.State.MaxActiveLeases,
        state.State.Blocked,
        state.State.Certifications.Values.OrderBy(c => c.Skill, StringComparer.Ordinal).ToImmutableArray(),
        ActiveLeases: 0,
        state.State.Stats,
        state.State.EarningsTotal);
}
