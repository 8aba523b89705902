using Dispatch.Grains.Postgres;
using Dispatch.Grains.Storage;
using Dispatch.Grains.Webhooks;
using Dispatch.Tasks;
using Dispatch.Tests.Infrastructure;
using Npgsql;

namespace Dispatch.Tests.Postgres;

/// <summary>
/// The PostgreSQL task store's import, called directly: the rules the API cannot see (stored shard, state, priority
/// and seq of existing tasks) and the calls the project grain never makes (an id twice in one call).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TaskImportTests(PostgresServer server)
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Import_NewTasks_AreCreatedInRequestOrder_AndPayloadsReadBackByteExact()
    {
        await using var store = await NewStoreAsync();
        TaskToStore[] tasks =
        [
            new("t-b", 3, """{ "z" : 1,  "a":[1, 2.50] }""", 7, null),
            new("t-a", 0, "\"text\"", -2, """{"label":"cat"}"""),
            new("t-c", 1, "[]", 0, null),
        ];

        var outcome = await store.Store.ImportAsync("p", tasks, Now);

        Assert.Null(outcome.ConflictingTaskId);
        Assert.Equal(["t-b", "t-a", "t-c"], outcome.Tasks.Select(t => t.TaskId));
        Assert.All(outcome.Tasks, t => Assert.True(t.Created));
        Assert.All(outcome.Tasks, t => Assert.Equal(TaskState.Open, t.State));
        Assert.Equal([3, 0, 1], outcome.Tasks.Select(t => t.Shard));
        Assert.Equal([7, -2, 0], outcome.Tasks.Select(t => t.Priority));
        Assert.Equal(outcome.Tasks.Select(t => t.Sequence).Order(), outcome.Tasks.Select(t => t.Sequence));
        Assert.Equal(3, outcome.Tasks.Select(t => t.Sequence).Distinct().Count());
        foreach (var (task, imported) in tasks.Zip(outcome.Tasks))
        {
            var stored = await store.Store.GetAsync("p", task.TaskId);
            Assert.NotNull(stored);
            Assert.Equal(task.PayloadJson, stored.PayloadJson);
            Assert.Equal(task.GoldenAnswerJson, stored.GoldenAnswerJson);
            Assert.Equal((imported.Shard, imported.Priority, imported.Sequence, TaskState.Open), (stored.Shard, stored.Priority, stored.Sequence, stored.State));
        }
    }

    [Fact]
    public async Task Import_IdStoredWithEqualJsonInAnotherKeyOrder_IsExistingWithItsStoredShardStatePriorityAndSeq()
    {
        await using var store = await NewStoreAsync();
        var first = await store.Store.ImportAsync("p", [new("a", 1, """{"x":1,"y":[true,null]}""", 5, null), new("b", 2, "{}", 0, null)], Now);
        await Sql.ExecuteAsync(store.ConnectionString, "UPDATE dispatch_tasks SET state = 1 WHERE task_id = 'a'");

        var again = await store.Store.ImportAsync(
            "p", [new("c", 0, "1", 0, null), new("a", 4, """{ "y": [true, null], "x": 1 }""", 9, null), new("b", 2, "{ }", 0, null)], Now);

        Assert.Null(again.ConflictingTaskId);
        Assert.Equal(["c", "a", "b"], again.Tasks.Select(t => t.TaskId));
        Assert.Equal([true, false, false], again.Tasks.Select(t => t.Created));
        Assert.Equal(new ImportedTask("a", 1, false, TaskState.Completed, 5, first.Tasks[0].Sequence), again.Tasks[1]);
        Assert.Equal(first.Tasks[1] with { Created = false }, again.Tasks[2]);
        Assert.True(again.Tasks[0].Sequence > first.Tasks[1].Sequence);
        Assert.Equal("""{"x":1,"y":[true,null]}""", (await store.Store.GetAsync("p", "a"))!.PayloadJson);
        Assert.Equal(3L, await Sql.ScalarAsync<long>(store.ConnectionString, "SELECT count(*) FROM dispatch_tasks"));
    }

    [Fact]
    public async Task Import_StoredIdWithAnotherPayload_AmongNewIds_StoresNothingAndNamesThatId()
    {
        await using var store = await NewStoreAsync();
        await store.Store.ImportAsync("p", [new("a", 0, """{"x":1}""", 0, null), new("b", 0, """{"x":2}""", 0, null)], Now);

        var outcome = await store.Store.ImportAsync(
            "p", [new("new-1", 0, "1", 0, null), new("a", 0, """{"x":1}""", 0, null), new("b", 0, """{"x":"2"}""", 0, null), new("new-2", 0, "2", 0, null)], Now);

        Assert.Equal("b", outcome.ConflictingTaskId);
        Assert.Empty(outcome.Tasks);
        Assert.Equal(["a", "b"], await Sql.ReadStringsAsync(store.ConnectionString, "SELECT task_id FROM dispatch_tasks ORDER BY task_id"));
    }

    [Fact]
    public async Task Import_SameIdInOtherProject_IsANewTask()
    {
        await using var store = await NewStoreAsync();
        await store.Store.ImportAsync("p", [new("a", 0, "1", 0, null)], Now);

        var outcome = await store.Store.ImportAsync("q", [new("a", 0, "2", 0, null)], Now);

        Assert.True(Assert.Single(outcome.Tasks).Created);
    }

    [Fact]
    public async Task Import_IdTwiceInOneCall_IsStoredOnceAsItsFirstPosition_OrRefusedWhenThePayloadsDiffer()
    {
        await using var store = await NewStoreAsync();

        var equal = await store.Store.ImportAsync("p", [new("d", 2, """{"k":1,"l":2}""", 3, null), new("e", 0, "0", 0, null), new("d", 5, """{"l":2,"k":1}""", 8, null)], Now);
        var differing = await store.Store.ImportAsync("p", [new("f", 0, "1", 0, null), new("f", 0, "2", 0, null)], Now);

        Assert.Null(equal.ConflictingTaskId);
        Assert.Equal([true, true, false], equal.Tasks.Select(t => t.Created));
        Assert.Equal(equal.Tasks[0] with { Created = false }, equal.Tasks[2]);
        Assert.Equal("""{"k":1,"l":2}""", (await store.Store.GetAsync("p", "d"))!.PayloadJson);
        Assert.Equal("f", differing.ConflictingTaskId);
        Assert.Equal(["d", "e"], await Sql.ReadStringsAsync(store.ConnectionString, "SELECT task_id FROM dispatch_tasks ORDER BY task_id"));
    }

    [Fact]
    public async Task Import_ThousandsOfNewIdsThenStoredOnes_StoresTheNewAndAnswersTheStoredAsFirstStored()
    {
        await using var store = await NewStoreAsync();
        var tasks = Enumerable.Range(0, 2_500).Select(i => new TaskToStore($"t-{i}", i % 4, $$"""{"n":{{i}}}""", i % 3, null)).ToArray();
        var lastTen = await store.Store.ImportAsync("p", tasks[^10..], Now);

        var all = await store.Store.ImportAsync("p", tasks, Now);

        Assert.Null(all.ConflictingTaskId);
        Assert.Equal(tasks.Select(t => t.TaskId), all.Tasks.Select(t => t.TaskId));
        Assert.Equal(lastTen.Tasks.Select(t => t with { Created = false }), all.Tasks.TakeLast(10));
        var created = all.Tasks.SkipLast(10).ToList();
        Assert.All(created, t => Assert.True(t.Created));
        Assert.Equal(created.Select(t => t.Sequence).Order(), created.Select(t => t.Sequence));
        Assert.Equal(tasks.SkipLast(10).Select(t => (t.Shard, t.Priority)), created.Select(t => (t.Shard, t.Priority)));
        Assert.Equal(2_500L, await Sql.ScalarAsync<long>(store.ConnectionString, "SELECT count(*) FROM dispatch_tasks"));

        // Often enough that the connection prepares the statements over the temporary table, which is a new table
        // each time.
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(all.Tasks.Select(t => t with { Created = false }), (await store.Store.ImportAsync("p", tasks, Now)).Tasks);
        }
    }

    [Fact]
    public async Task Import_StoresTheWebhookDeliveriesOfWhatItCreated_InItsTransaction_OnBothPaths()
    {
        await using var store = await NewStoreAsync();
        var counts = new List<int>();
        Func<int, IReadOnlyList<WebhookOutboxEntry>> outbox = count =>
        {
            counts.Add(count);
            return [new WebhookOutboxEntry("p", "hook", $"created-{counts.Count}", "task.created", $$"""{"count":{{count}}}""", Now)];
        };

        // New ids only (binary COPY), then two stored beside two new (the temporary table), then only stored ones.
        await store.Store.ImportAsync("p", [new("a", 0, "1", 0, null), new("b", 0, "2", 0, null)], Now, outbox);
        await store.Store.ImportAsync("p", [new("a", 0, "1", 0, null), new("c", 0, "3", 0, null), new("b", 0, "2", 0, null), new("d", 0, "4", 0, null)], Now, outbox);
        await store.Store.ImportAsync("p", [new("b", 0, "2", 0, null)], Now, outbox);
        // A refused import stores neither its tasks nor its deliveries.
        var refused = await store.Store.ImportAsync("p", [new("e", 0, "5", 0, null), new("a", 0, "9", 0, null)], Now, outbox);

        Assert.Equal("a", refused.ConflictingTaskId);
        Assert.Equal([2, 2], counts);
        Assert.Equal(
            ["""{"count":2}""", """{"count":2}"""],
            await Sql.ReadStringsAsync(store.ConnectionString, "SELECT body FROM dispatch_webhook_outbox ORDER BY seq"));
        Assert.Equal(["created-1", "created-2"], await Sql.ReadStringsAsync(store.ConnectionString, "SELECT event_id FROM dispatch_webhook_outbox ORDER BY seq"));
    }

    private async Task<StoreOnDatabase> NewStoreAsync()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(connectionString);
        var dataSource = NpgsqlDataSource.Create(PostgresConnectionStrings.ForTaskStore(connectionString));
        var writes = new PostgresTaskWriter(PostgresConnectionStrings.ForTaskWriter(connectionString, PostgresTaskWriter.Writers));
        return new StoreOnDatabase(connectionString, dataSource, writes, new PostgresTaskStore(dataSource, writes));
    }

    private sealed record StoreOnDatabase(string ConnectionString, NpgsqlDataSource DataSource, PostgresTaskWriter Writes, PostgresTaskStore Store) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Writes.DisposeAsync();
            await DataSource.DisposeAsync();
        }
    }
}
