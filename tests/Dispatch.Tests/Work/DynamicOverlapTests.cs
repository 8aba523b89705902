using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// Dynamic overlap over HTTP (docs/api.md, Aggregation): a task with <c>overlap</c> accepted answers completes when the
/// leading answer's share reaches <c>agreement</c>, otherwise opens one more slot, up to <c>max</c> answers, always to
/// distinct workers.
/// </summary>
public abstract class DynamicOverlapTests : WorkTestBase
{
    private const string Settings = """{"overlap":2,"aggregation":{"method":"majority","field":"label"},"dynamicOverlap":{"max":4,"agreement":0.75}}""";

    private async Task<string> AnswerAsync(string projectId, string label)
    {
        var worker = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);
        return await SubmitOkAsync(worker, lease, new { label, note = worker.Id });
    }

    [Fact]
    public async Task Disagreement_OpensOneMoreSlotAtATime_UntilAgreementOrMax()
    {
        var (_, projectId, _) = await CreateProjectWithTasksAsync(Settings, SmallTasks(1, "t"));

        // Two answers agree: complete at overlap (the field is compared, not the rest of the result).
        Assert.Equal("open", await AnswerAsync(projectId, "cat"));
        Assert.Equal("completed", await AnswerAsync(projectId, "cat"));

        var (_, disputed, _) = await CreateProjectWithTasksAsync(Settings, SmallTasks(1, "d"));
        Assert.Equal("open", await AnswerAsync(disputed, "cat"));
        Assert.Equal("open", await AnswerAsync(disputed, "dog"));

        // 2 of 3 is below 0.75: one more slot; the fourth answer is the maximum, which completes whatever the share.
        Assert.Equal("open", await AnswerAsync(disputed, "cat"));
        var view = await GetTaskAsync(Admin, disputed, "d-0");
        Assert.Equal(("open", 3), (StateOf(view), view["submissions"]!.AsArray().Count));
        Assert.Equal("completed", await AnswerAsync(disputed, "dog"));
        (await ClaimAsync(await CreateWorkerAsync(), disputed)).IsEmpty(HttpStatusCode.NoContent);
        await AssertCountsAsync(Admin, disputed, total: 1, open: 0, completed: 1, deadLettered: 0, activeLeases: 0, submissions: 4);
    }

    [Fact]
    public async Task OnACrowdWhereMostTasksAreEasy_TasksTakeFarFewerAnswersThanMax_AndEachMeetsItsRule()
    {
        const int tasks = 30;
        var (_, projectId, ids) = await CreateProjectWithTasksAsync(
            """{"overlap":3,"aggregation":{"method":"majority"},"dynamicOverlap":{"max":9,"agreement":0.7}}""", SmallTasks(tasks, "q"));
        var random = new Random(7);

        // A fifth of the tasks are hard: each answer is a coin toss. The rest everyone answers alike.
        var hard = ids.Where((_, i) => i % 5 == 0).ToHashSet(StringComparer.Ordinal);
        for (var workers = 0; workers < 9 * tasks; workers++)
        {
            var worker = await CreateWorkerAsync();
            var claim = await ClaimAsync(worker, projectId);
            if (claim.Status == HttpStatusCode.NoContent)
            {
                break;
            }

            var lease = ToLease(claim, projectId);
            var answer = hard.Contains(lease.TaskId) && random.Next(2) == 0 ? "no" : "yes";
            await SubmitOkAsync(worker, lease, answer);
        }

        var answers = 0;
        foreach (var id in ids)
        {
            var view = await GetTaskAsync(Admin, projectId, id);
            Assert.Equal("completed", StateOf(view));
            var given = view["submissions"]!.AsArray().Select(s => s!["result"]!.GetValue<string>()).ToList();
            var leading = given.GroupBy(a => a).Max(g => g.Count());
            Assert.True(given.Count >= 3 && given.Count <= 9, $"{id}: {given.Count} answers");
            Assert.True((double)leading / given.Count >= 0.7 || given.Count == 9, $"{id} completed at {leading}/{given.Count} below the agreement before max");

            // It completed at the first moment its rule held: one answer fewer did not meet it.
            var before = given.Take(given.Count - 1).GroupBy(a => a).Max(g => g.Count());
            Assert.True(given.Count == 3 || (double)before / (given.Count - 1) < 0.7, $"{id} went on past agreement: {string.Join(",", given)}");
            answers += given.Count;
        }

        var average = (double)answers / tasks;
        Assert.True(average < 5, $"{average:0.00} answers per task on average; max is 9");
    }
}

/// <summary>Dynamic overlap on in-memory storage.</summary>
public sealed class DynamicOverlapTests_Memory(MemoryApiHost host) : DynamicOverlapTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Dynamic overlap on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DynamicOverlapTests_Postgres(PostgresServer postgres, PostgresApiHost host) : DynamicOverlapTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
