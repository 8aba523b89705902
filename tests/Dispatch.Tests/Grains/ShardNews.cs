using System.Collections.Concurrent;
using System.Collections.Immutable;
using Dispatch.Common;
using Dispatch.Tasks;
using Dispatch.Work;

namespace Dispatch.Tests.Grains;

/// <summary>
/// A silo call filter that writes down, for chosen projects, what their queue shards hear from their tasks (news sent
/// and lease answers) and which workers a shard asked a task to lease to. Inert for every other project.
/// </summary>
public sealed class ShardNews : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<string, Heard> Watched = new(StringComparer.Ordinal);

    public static Heard Watch(string projectId) => Watched.GetOrAdd(projectId, _ => new Heard());

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod;
        var isNews = method.DeclaringType == typeof(ITaskQueueGrain) && method.Name == nameof(ITaskQueueGrain.UpdateAsync);
        var isLease = method.DeclaringType == typeof(ITaskGrain) && method.Name == nameof(ITaskGrain.LeaseAsync);
        if (!(isNews || isLease) || !Watched.TryGetValue(Keys.Split(context.TargetId.Key.ToString()!).ProjectId, out var heard))
        {
            await context.Invoke();
            return;
        }

        if (isNews)
        {
            foreach (var snapshot in (ImmutableArray<TaskSnapshot>)context.Request.GetArgument(0)!)
            {
                heard.Snapshots.Enqueue(snapshot);
            }

            await context.Invoke();
            return;
        }

        heard.LeasesAskedFor.Enqueue((string)context.Request.GetArgument(0)!);
        await context.Invoke();
        if (context.Result is LeaseAttempt { Snapshot: { } answered })
        {
            heard.Snapshots.Enqueue(answered);
        }
    }

    public sealed class Heard
    {
        public ConcurrentQueue<TaskSnapshot> Snapshots { get; } = new();

        /// <summary>The workers a shard asked a task to lease to, in order.</summary>
        public ConcurrentQueue<string> LeasesAskedFor { get; } = new();
    }
}
