using Dispatch.Common;
using Dispatch.Grains.SiloViews;
using Dispatch.Tasks;
using Dispatch.Work;
using Dispatch.Workers;

namespace Dispatch.Grains.Workers;

/// <summary>
/// Finds the task a claim gets: which project (skill tier, then priority and reward, from this silo's routing copy) and
/// which of its queue shards, in the project's claim order. It holds no state of its own, only this silo's views, so
/// one instance serves every worker grain of the silo; the worker grain keeps the rules of the worker itself (lease
/// limit, block, requirements of a named project).
/// </summary>
public sealed class ClaimRouter(IGrainFactory grains, RoutingTable routing, WorkAvailability availability, ShardHeads heads)
{
    /// <summary>
    /// Serves the open projects the worker qualifies for in routing order. Everything a routed claim reads before
    /// asking shards comes from this silo's copies (routes, empty-project memory), so 1,000 open projects cost
    /// memory lookups, not grain calls.
    /// </summary>
    public async Task<LeaseGrant?> ClaimRoutedAsync(string workerId, IReadOnlyDictionary<string, Certification> certifications)
    {
        var rechecks = availability.RechecksPerClaim;
        foreach (var route in await routing.RoutesForAsync(certifications))
        {
            var grant = route.Review
                ? await ClaimReviewFromAsync(workerId, route.ProjectId, route.Project.QueueShards)
                : availability.IsKnownEmpty(route.ProjectId, ref rechecks) ? null : await ClaimFromAsync(workerId, route.ProjectId, route.Project.QueueShards);
            if (grant is not null)
            {
                return grant;
            }
        }

        return null;
    }

    /// <summary>
    /// Crowd review: the project's shards in turn, from a random one, so that reviewers spread over them. A shard with no
    /// review item answers from memory; review items are few beside tasks, so no view of them is kept here.
    /// </summary>
    public async Task<LeaseGrant?> ClaimReviewFromAsync(string workerId, string projectId, int queueShards)
    {
        var first = Random.Shared.Next(queueShards);
        for (var i = 0; i < queueShards; i++)
        {
            if (await Shard(projectId, (first + i) % queueShards).ClaimReviewAsync(workerId) is { } grant)
            {
                return grant;
            }
        }

        return null;
    }

    /// <summary>
    /// Keeps the project's claim order across its shards. The claim goes to the shard this silo last saw first in
    /// order; without a fresh picture (or when that shard has nothing for this worker), every shard tells where its
    /// first task for this worker stands and the claim goes to the best one (the next best if that one was taken
    /// meanwhile). When no shard has a free task for anyone, this silo remembers the project as empty until a work
    /// signal names it.
    /// </summary>
    public async Task<LeaseGrant?> ClaimFromAsync(string workerId, string projectId, int queueShards)
    {
        if (heads.Best(projectId) is { } best && await ClaimOnShardAsync(workerId, projectId, best) is { } quick)
        {
            return quick;
        }

        var peeks = await Task.WhenAll(Enumerable.Range(0, queueShards).Select(i => Shard(projectId, i).PeekAsync(workerId)));
        heads.Take(projectId, [.. peeks.Select(p => p.Next)]);
        if (!peeks.Any(p => p.HasFreeTask))
        {
            availability.MarkEmpty(projectId);
            return null;
        }

        var byClaimOrder = Enumerable.Range(0, queueShards)
            .Where(i => peeks[i].Head is not null)
            .OrderBy(i => peeks[i].Head)
            .ThenBy(_ => Random.Shared.Next());
        foreach (var i in byClaimOrder)
        {
            if (await ClaimOnShardAsync(workerId, projectId, i) is { } grant)
            {
                return grant;
            }
        }

        return null;
    }

    private async Task<LeaseGrant?> ClaimOnShardAsync(string workerId, string projectId, int shard)
    {
        var claim = await Shard(projectId, shard).ClaimAsync(workerId);
        heads.Update(projectId, shard, claim.Next);
        return claim.Grant;
    }

    private ITaskQueueGrain Shard(string projectId, int shard) => grains.GetReference<ITaskQueueGrain>(Keys.QueueShard(projectId, shard));
}
