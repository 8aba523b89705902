using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// Pages of the task listing, the results export and the submission listing (docs/api.md): each ends at its count or
/// at <c>Dispatch:MaxPageBytes</c> of payloads and results, holds at least one item, and its <c>next</c> goes on
/// without gaps or repeats; cursors tell nothing about other projects.
/// </summary>
public abstract class PagingTests : WorkTestBase
{
    /// <summary>The hosts of these tests bound a page at this many bytes, so that a few tasks fill one.</summary>
    public const int MaxPageBytes = 2000;

    // About 620 bytes of JSON: three fit a page, the fourth would pass the bound.
    private static readonly string Pad = new('x', 600);

    [Fact]
    public async Task TaskListing_StopsBeforeTheByteBound_AndNextGoesOnWithoutGapsOrRepeats()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var ids = Enumerable.Range(0, 10).Select(i => $"t-{i:00}").ToList();
        var tasks = ids.Select(id => new JsonObject { ["id"] = id, ["payload"] = new JsonObject { ["pad"] = id == "t-05" ? Pad + Pad + Pad + Pad : Pad } });
        (await owner.Client.PostApiAsync($"{ProjectPath(projectId)}/tasks", new JsonObject { ["tasks"] = new JsonArray([.. tasks]) })).Is(HttpStatusCode.OK);

        var pages = await AllPagesAsync(owner.Client, $"{ProjectPath(projectId)}/tasks?limit=1000", TaskBytes);

        Assert.Equal(ids, pages.SelectMany(p => p.Items).Select(i => i["id"]!.GetValue<string>()));
        Assert.True(pages.Count >= 4, $"10 tasks of 620 bytes or more came in {pages.Count} pages under a bound of {MaxPageBytes} bytes");
        Assert.Contains(pages, p => p.Items.Count == 1 && p.Items[0]["id"]!.GetValue<string>() == "t-05");
    }

    [Fact]
    public async Task ResultsExport_CountsPayloadsAndResults_AndStopsBeforeTheByteBound()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(8, "t"));
        var worker = await CreateWorkerAsync();
        var completed = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var lease = await ClaimLeaseAsync(worker, projectId);
            Assert.Equal("completed", await SubmitOkAsync(worker, lease, new { pad = Pad }));
            completed.Add(lease.TaskId);
        }

        var pages = await AllPagesAsync(owner.Client, $"{ProjectPath(projectId)}/results?limit=1000", ResultBytes);

        Assert.Equal(completed, pages.SelectMany(p => p.Items).Select(i => i["taskId"]!.GetValue<string>()));
        Assert.True(pages.Count >= 3, $"8 results of 620 bytes came in {pages.Count} pages under a bound of {MaxPageBytes} bytes");
    }

    [Fact]
    public async Task SubmissionListing_StopsBeforeTheByteBoundOfResults()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"review":{"mode":"requester"}}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(7, "t"));
        var worker = await CreateWorkerAsync();
        var submitted = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var lease = await ClaimLeaseAsync(worker, projectId);
            await SubmitOkAsync(worker, lease, new { pad = Pad });
            submitted.Add(lease.TaskId);
        }

        var pages = await AllPagesAsync(owner.Client, $"{ProjectPath(projectId)}/submissions?state=pending&limit=1000", s => Bytes(s["result"]));

        Assert.Equal(submitted, pages.SelectMany(p => p.Items).Select(i => i["taskId"]!.GetValue<string>()));
        Assert.True(pages.Count >= 3, $"7 results of 620 bytes came in {pages.Count} pages under a bound of {MaxPageBytes} bytes");
    }

    [Fact]
    public async Task ResultsCursor_IsMadeOfTheLastItemOnly_NotOfOtherProjectsWork()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var busy = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(2, "a"));
        await ImportAsync(owner.Client, busy, SmallTasks(5, "b"));
        var worker = await CreateWorkerAsync();
        await CompleteAsync(worker, projectId);
        for (var i = 0; i < 5; i++)
        {
            await CompleteAsync(worker, busy);
        }

        await CompleteAsync(worker, projectId);

        var first = (await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/results?limit=1")).Is(HttpStatusCode.OK);
        var second = (await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/results?limit=1&after={Segment(first["next"]!.GetValue<string>())}")).Is(HttpStatusCode.OK);

        // A cursor is the item's own completion time (100 ns ticks) and id: the five completions of the other project
        // between the two leave no trace in it.
        foreach (var page in new[] { first, second })
        {
            var item = Assert.Single(page["items"]!.AsArray())!;
            var completedAt = ApiAssert.IsUtcTimestamp(item["completedAt"], "completedAt");
            Assert.Equal($"{completedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{item["taskId"]}", page["next"]!.GetValue<string>());
        }

        Assert.Equal(["a-0", "a-1"], new[] { first, second }.Select(p => p["items"]![0]!["taskId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ResultsCursor_ANumberThatNamesNoCompletionOfTheProject_IsRefused()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "a"));
        await CompleteAsync(await CreateWorkerAsync(), projectId);

        var refused = await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/results?after=987654321");

        refused.IsProblem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task ResultsExport_ReadWhileTasksComplete_ShowsEveryCompletionOnceInCompletionOrder()
    {
        const int TaskCount = 30;
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(TaskCount, "t"));
        var workers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => CreateWorkerAsync()));
        var crowd = Task.WhenAll(workers.Select(async worker =>
        {
            for (var claim = await ClaimAsync(worker, projectId); claim.Status == HttpStatusCode.Created; claim = await ClaimAsync(worker, projectId))
            {
                await SubmitOkAsync(worker, ToLease(claim, projectId));
            }
        }));

        // A client following `next`, which reads a page without `next` again later from the same cursor and takes its
        // items only once a later read gives a `next` after them (or the crowd is done).
        var taken = new List<JsonNode>();
        string? cursor = null;
        while (true)
        {
            var crowdDone = crowd.IsCompleted;
            var page = (await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/results?limit=2" + (cursor is null ? "" : "&after=" + Segment(cursor)))).Is(HttpStatusCode.OK);
            var next = page["next"]?.GetValue<string>();
            if (next is not null || crowdDone)
            {
                taken.AddRange(page["items"]!.AsArray().Select(i => i!.DeepClone()));
                cursor = next ?? cursor;
            }

            if (next is null && crowdDone)
            {
                break;
            }

            if (next is null)
            {
                await Task.Delay(10);
            }
        }

        await crowd;
        var takenIds = taken.Select(i => i["taskId"]!.GetValue<string>()).ToList();
        Assert.Equal(TaskCount, takenIds.Distinct().Count());
        Assert.Equal(TaskCount, takenIds.Count);
        var times = taken.Select(i => ApiAssert.IsUtcTimestamp(i["completedAt"], "completedAt")).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public async Task EventIds_CountTheConnectionsOwnEvents_NotOtherProjects()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var busy = await CreateProjectAsync(owner.Client);
        var (events, refusal) = await SseReader.OpenAsync(owner.Client, $"{ProjectPath(projectId)}/events");
        Assert.True(events is not null, $"the owner could not open its events: {refusal}");
        await using var _ = events;

        await ImportAsync(owner.Client, projectId, SmallTasks(1));
        await events.WaitForEventAsync("task.created");
        for (var i = 0; i < 5; i++)
        {
            await ImportAsync(owner.Client, busy, SmallTasks(1));
        }

        await ImportAsync(owner.Client, projectId, SmallTasks(1));
        await events.WaitForAsync(_ => events.Frames.Count(f => f.Event == "task.created") == 2, "a second task.created");

        Assert.Equal(["1", "2"], events.Frames.Where(f => f.Event is not null).Select(f => f.Id));
    }

    private sealed record Page(IReadOnlyList<JsonNode> Items, string? Next, long Bytes);

    /// <summary>
    /// Every page from the start, following <c>next</c>; asserts the byte rule on each: no more than the bound unless
    /// one item alone has more, and not cut early (the next page's first item would not have fit).
    /// </summary>
    private static async Task<List<Page>> AllPagesAsync(HttpClient client, string path, Func<JsonNode, long> bytes)
    {
        var pages = new List<Page>();
        string? after = null;
        do
        {
            var body = (await client.GetApiAsync(path + (after is null ? "" : "&after=" + Segment(after)))).Is(HttpStatusCode.OK);
            var items = body["items"]!.AsArray().Select(i => i!).ToList();
            after = body["next"]?.GetValue<string>();
            pages.Add(new Page(items, after, items.Sum(bytes)));
            Assert.True(pages.Count < 100, "the listing did not end within 100 pages");
        }
        while (after is not null);

        for (var i = 0; i < pages.Count; i++)
        {
            Assert.True(pages[i].Items.Count > 0 || i == pages.Count - 1, $"page {i} is empty but has a next");
            Assert.True(pages[i].Bytes <= MaxPageBytes || pages[i].Items.Count == 1, $"page {i} holds {pages[i].Bytes} bytes in {pages[i].Items.Count} items");
            if (i + 1 < pages.Count && pages[i + 1].Items.Count > 0)
            {
                Assert.True(pages[i].Bytes + bytes(pages[i + 1].Items[0]) > MaxPageBytes, $"page {i} ended at {pages[i].Bytes} bytes, though the next item fit");
            }
        }

        return pages;
    }

    private static long TaskBytes(JsonNode task) =>
        Bytes(task["payload"]) + task["submissions"]!.AsArray().Sum(s => Bytes(s!["result"]));

    private static long ResultBytes(JsonNode result) =>
        Bytes(result["payload"]) + result["submissions"]!.AsArray().Sum(s => Bytes(s!["result"]));

    private static long Bytes(JsonNode? json) => Encoding.UTF8.GetByteCount(json?.ToJsonString() ?? "null");

    protected static async Task CompleteAsync(Worker worker, string projectId)
    {
        var lease = await ClaimLeaseAsync(worker, projectId);
        Assert.Equal("completed", await SubmitOkAsync(worker, lease));
    }
}

/// <summary>Paging on in-memory storage, pages bounded at <see cref="PagingTests.MaxPageBytes"/>.</summary>
public sealed class PagingTests_Memory(PagingTests_Memory.SmallPages host) : PagingTests, IClassFixture<PagingTests_Memory.SmallPages>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);

    public sealed class SmallPages() : MemoryApiHost(new Dictionary<string, string> { ["Dispatch:MaxPageBytes"] = $"{MaxPageBytes}" });
}

/// <summary>Paging on PostgreSQL storage, pages bounded at <see cref="PagingTests.MaxPageBytes"/>.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PagingTests_Postgres(PostgresServer postgres, PagingTests_Postgres.SmallPages host) : PagingTests, IClassFixture<PagingTests_Postgres.SmallPages>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);

    /// <summary>A cursor handed out before cursors named their task (a completion number) still goes on after it.</summary>
    [Fact]
    public async Task ResultsCursor_OfTheOldForm_GoesOnAfterTheCompletionItNames()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var other = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(3, "a"));
        var worker = await CreateWorkerAsync();
        for (var i = 0; i < 3; i++)
        {
            await CompleteAsync(worker, projectId);
        }

        // Completions stored by an older server carry the number its cursors were made of.
        var number = Random.Shared.NextInt64(1_000_000, long.MaxValue / 2);
        await using (var connection = new Npgsql.NpgsqlConnection(Host.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "UPDATE dispatch_tasks SET completion_seq = @number WHERE project_id = @project AND task_id = 'a-0'", connection);
            command.Parameters.AddWithValue("number", number);
            command.Parameters.AddWithValue("project", projectId);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var page = (await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/results?after={number}")).Is(HttpStatusCode.OK);

        Assert.Equal(["a-1", "a-2"], page["items"]!.AsArray().Select(i => i!["taskId"]!.GetValue<string>()));
        (await owner.Client.GetApiAsync($"{ProjectPath(other)}/results?after={number}")).IsProblem(HttpStatusCode.BadRequest, "validation");
    }

    public sealed class SmallPages() : PostgresApiHost(new Dictionary<string, string> { ["Dispatch:MaxPageBytes"] = $"{MaxPageBytes}" });
}
