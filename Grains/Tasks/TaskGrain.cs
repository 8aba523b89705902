using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Tasks;

namespace Dispatch.Grains.Tasks;

public sealed class TaskGrain(ITaskStore taskStore) : Grain, ITaskGrain
{
    public async Task<TaskView?> GetAsync()
    {
        var (projectId, taskId) = Keys.Split(this.GetPrimaryKeyString());
        return (await taskStore.GetAsync(projectId, taskId))?.View;
    }
}
