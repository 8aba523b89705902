namespace Dispatch.Tasks;

/// <summary>One task of a project, keyed <c>{projectId}/{taskId}</c>: its leases and submissions.</summary>
[Alias("Dispatch.ITaskGrain")]
public interface ITaskGrain : IGrainWithStringKey
{
    /// <summary>The task as stored, or null when no such task was imported.</summary>
    [Alias("Get")]
    Task<TaskView?> GetAsync();
}
