using System.Collections.Concurrent;
using Dispatch.Tasks;
using Microsoft.Extensions.Options;

namespace Dispatch.Grains.SiloViews;

/// <summary>
/// This silo's picture of where each shard of a project stands in claim order, so that a claim goes straight to
/// the shard with the best first task instead of asking every shard first (four fewer grain calls per claim).
/// The picture is taken by asking every shard, kept current by the shard's own answer to each claim made from this
/// silo, dropped when a work signal names the project (new or freed work can change the order at once), and taken
/// again after <see cref="SiloViewOptions.ShardHeadsMaxAge"/> so that claims from other silos cannot skew it for long.
/// </summary>
public sealed class ShardHeads(IOptions<SiloViewOptions> options, TimeProvider time)
{
    private readonly TimeSpan _maxAge = options.Value.ShardHeadsMaxAge;
    private readonly ConcurrentDictionary<string, Picture> _pictures = new(StringComparer.Ordinal);

    /// <summary>The shard whose first task comes first in claim order; null when the picture is old, missing or empty.</summary>
    public int? Best(string projectId)
    {
        if (!_pictures.TryGetValue(projectId, out var picture) || time.GetUtcNow() - picture.TakenAt >= _maxAge)
        {
            return null;
        }

        int? best = null;
        for (var i = 0; i < picture.Heads.Length; i++)
        {
            if (picture.Heads[i] is { } head && (best is null || head.CompareTo(picture.Heads[best.Value]) < 0))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>A fresh picture, from every shard's answer.</summary>
    public void Take(string projectId, QueueHead?[] heads) => _pictures[projectId] = new Picture(heads, time.GetUtcNow());

    /// <summary>One shard's answer to a claim; racing writers only lose one shard's news, which the next answer or picture mends.</summary>
    public void Update(string projectId, int shard, QueueHead? head)
    {
        if (_pictures.TryGetValue(projectId, out var picture) && shard < picture.Heads.Length)
        {
            picture.Heads[shard] = head;
        }
    }

    public void Forget(string projectId) => _pictures.TryRemove(projectId, out _);

    private sealed record Picture(QueueHead?[] Heads, DateTimeOffset TakenAt);
}
