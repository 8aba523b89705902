using System.Collections.Immutable;
using System.Security.Cryptography;
using Dispatch.Common;
using Dispatch.Requesters;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Requesters;

public sealed partial class RequesterGrain(
    [PersistentState("requester", StorageNames.Grains)] IPersistentState<RequesterState> state,
    TimeProvider time,
    ILogger<RequesterGrain> logger) : Grain, IRequesterGrain
{
    public async Task<Result<RequesterView>> CreateAsync(string name, byte[] keyHash)
    {
        if (state.State.Exists)
        {
            return Result<RequesterView>.Fail(ErrorKind.Conflict, $"Requester '{this.GetPrimaryKeyString()}' already exists.");
        }

        state.State = new RequesterState { Exists = true, Name = name, KeyHash = keyHash, CreatedAt = time.GetUtcNow() };
        await state.WriteOrDeactivateAsync(this, logger);
        LogCreated(logger, this.GetPrimaryKeyString());
        return Result<RequesterView>.Ok(View());
    }

    public Task<RequesterView?> GetAsync() => Task.FromResult(state.State.Exists ? View() : null);

    public Task<bool> HasKeyAsync(byte[] keyHash) =>
        Task.FromResult(state.State.Exists && CryptographicOperations.FixedTimeEquals(state.State.KeyHash, keyHash));

    public async Task AddProjectAsync(string projectId)
    {
        if (!state.State.ProjectIds.Contains(projectId))
        {
            state.State.ProjectIds.Add(projectId);
            await state.WriteOrDeactivateAsync(this, logger);
            LogProjectAdded(logger, this.GetPrimaryKeyString(), projectId);
        }
    }

    public Task<ImmutableArray<string>> GetProjectIdsAsync() => Task.FromResult(state.State.ProjectIds.ToImmutableArray());

    private RequesterView View() => new(this.GetPrimaryKeyString(), state.State.Name, state.State.CreatedAt);
}
