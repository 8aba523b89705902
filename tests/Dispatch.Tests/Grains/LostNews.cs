using System.Collections.Concurrent;
using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Grains;

/// <summary>How the news of a project's tasks is lost, as a silo lost at the wrong moment loses it.</summary>
public enum NewsLoss
{
    /// <summary>Every update a shard of the project is sent vanishes, and its sender believes it arrived.</summary>
    Dropped,

    /// <summary>The next update a shard of the project is sent fails, and the sender knows it.</summary>
    FailsOnce,

    /// <summary>The next lease a task of the project grants is stored, and its answer is lost.</summary>
    LeaseAnswerLostOnce,

    /// <summary>The project grain does not answer, as one whose silo died and is not yet declared dead.</summary>
    ProjectUnreachable,
}

/// <summary>
/// A silo call filter that loses the news of chosen projects' tasks on their way to their queue shards, so that a
/// test can lose news at exactly the moment a silo's death would. Inert for every other project.
/// </summary>
public sealed class LostNews : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<string, NewsLoss> Losses = new(StringComparer.Ordinal);

    public static void Lose(string projectId, NewsLoss loss) => Losses[projectId] = loss;

    public static void Stop(string projectId) => Losses.TryRemove(projectId, out _);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod;
        var isNews = method.DeclaringType == typeof(ITaskQueueGrain) && method.Name == nameof(ITaskQueueGrain.UpdateAsync);
        var isLease = method.DeclaringType == typeof(ITaskGrain) && method.Name == nameof(ITaskGrain.LeaseAsync);
        var isProject = method.DeclaringType == typeof(IProjectGrain);
        var projectId = isNews || isLease ? Keys.Split(context.TargetId.Key.ToString()!).ProjectId : isProject ? context.TargetId.Key.ToString()! : "";
        if (!Losses.TryGetValue(projectId, out var loss))
        {
            await context.Invoke();
            return;
        }

        switch (loss)
        {
            case NewsLoss.Dropped when isNews:
                // A filter must invoke the call: the shard is handed no news instead.
                context.Request.SetArgument(0, ImmutableArray<TaskSnapshot>.Empty);
                await context.Invoke();
                return;
            case NewsLoss.FailsOnce when isNews && Losses.TryRemove(new(projectId, loss)):
                throw new TimeoutException("The queue shard's silo did not answer (a test lost this news).");
            case NewsLoss.ProjectUnreachable when isProject:
                throw new TimeoutException("The project grain's silo did not answer (a test made it unreachable).");
            case NewsLoss.LeaseAnswerLostOnce when isLease && Losses.TryRemove(new(projectId, loss)):
                await context.Invoke();
                throw new TimeoutException("The task's silo did not answer (a test lost this lease's answer).");
            default:
                await context.Invoke();
                return;
        }
    }
}
