using Dispatch.Grains.Storage;
using Dispatch.Tasks;

namespace Dispatch.Tests.Storage;

/// <summary>The memory store as a plain class: texts come back exactly as given, however the store packs them.</summary>
public sealed class MemoryTaskStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 10, 12, 0, 0, TimeSpan.Zero);

    private const long MaxBytes = 4 * 1024 * 1024;

    // Lone surrogates cannot be UTF-8; they are here because the store takes any string, not only parsed JSON.
    private static readonly (string Payload, string? Golden)[] Texts =
    [
        ("""{"a":1}""", null),
        ("""{ "b" : [1, 2.50, "x"] , "a":{} }""", ""),
        ("""{"text":"héllo wörld — 日本語 😀"}""", """{"label":"çà"}"""),
        ("""{"escaped":"\u00e9\ud83d\ude00\n"}""", "\"yes\""),
        ("{\"lone\":\"\ud800\"}", "\"\udc00 low first\""),
        ("{\"pair split by text\":\"\ud83d|\ude00\"}", null),
        ("{\"ends high\":1}\ud83d", "\ud83d\ude00"),
        ("  [1,2,3]  ", "  null  "),
        ("", ""),
    ];

    [Fact]
    public async Task Get_ReturnsPayloadAndGoldenAnswerExactlyAsImported()
    {
        var store = new MemoryTaskStore();
        await store.ImportAsync("p", [.. Texts.Select((t, i) => new TaskToStore($"t{i}", i % 3, t.Payload, i, t.Golden))], Now);

        for (var i = 0; i < Texts.Length; i++)
        {
            var task = await store.GetAsync("p", $"t{i}");
            Assert.Equal(new TaskRecord($"t{i}", i % 3, 1, TaskState.Open, i, task!.Sequence, Texts[i].Payload, Texts[i].Golden, 0, [], []), task);
        }
    }

    [Fact]
    public async Task Import_ManyTasksInManyCalls_FindsEachOneWithItsOwnTexts()
    {
        var store = new MemoryTaskStore();
        const int count = 20_000;
        for (var first = 0; first < count; first += 1_000)
        {
            await store.ImportAsync("p", [.. Enumerable.Range(first, 1_000).Select(i => new TaskToStore($"t{i}", i % 4, Payload(i), i % 3, i % 5 == 0 ? $"{i}" : null))], Now);
        }

        for (var i = 0; i < count; i++)
        {
            var task = await store.GetAsync("p", $"t{i}");
            Assert.Equal((Payload(i), i % 5 == 0 ? $"{i}" : null, i % 4, i % 3), (task!.PayloadJson, task.GoldenAnswerJson, task.Shard, task.Priority));
        }

        Assert.Null(await store.GetAsync("p", "t20000"));
        Assert.Null(await store.GetAsync("other", "t1"));
        Assert.Equal(count, (await store.GetExamProgressAsync("p", "w")).Tasks);

        static string Payload(int i) => $$"""{"n":{{i}},"pad":"{{new string('é', i % 300)}}"}""";
    }

    [Fact]
    public async Task Import_TextLargerThanAChunk_ReadsBackWithTheTasksAroundIt()
    {
        var store = new MemoryTaskStore();
        var large = $"\"{new string('x', TaskTextArena.ChunkBytes + 10)}\"";
        var wide = $"\"{new string('€', TaskTextArena.ChunkBytes / 3)}\"";

        await store.ImportAsync("p", [new TaskToStore("a", 0, "1", 0, null), new TaskToStore("big", 0, large, 0, wide), new TaskToStore("b", 0, "2", 0, null)], Now);
        await store.ImportAsync("p", [new TaskToStore("c", 0, "3", 0, large)], Now);

        Assert.Equal(["1", large, "2", "3"], await Task.WhenAll(new[] { "a", "big", "b", "c" }.Select(async id => (await store.GetAsync("p", id))!.PayloadJson)));
        Assert.Equal(wide, (await store.GetAsync("p", "big"))!.GoldenAnswerJson);
        Assert.Equal(large, (await store.GetAsync("p", "c"))!.GoldenAnswerJson);
    }

    [Fact]
    public async Task Import_SameIdWithEquivalentJson_IsExisting_AndKeepsTheFirstPayload()
    {
        var store = new MemoryTaskStore();
        var first = await store.ImportAsync("p", [new TaskToStore("t", 1, """{"a":1,"b":"é"}""", 3, null)], Now);

        var again = await store.ImportAsync("p", [new TaskToStore("t", 1, """{ "b":"\u00e9", "a":1 }""", 9, "1"), new TaskToStore("u", 0, "{}", 0, null)], Now);

        Assert.Equal([new ImportedTask("t", 1, false, TaskState.Open, 3, first.Tasks[0].Sequence), new ImportedTask("u", 0, true, TaskState.Open, 0, again.Tasks[1].Sequence)], again.Tasks);
        var task = await store.GetAsync("p", "t");
        Assert.Equal(("""{"a":1,"b":"é"}""", null, 3), (task!.PayloadJson, task.GoldenAnswerJson, task.Priority));
    }

    [Fact]
    public async Task Import_SameIdWithOtherJson_ConflictsAndStoresNothing()
    {
        var store = new MemoryTaskStore();
        await store.ImportAsync("p", [new TaskToStore("t", 0, """{"a":1}""", 0, null)], Now);

        var outcome = await store.ImportAsync("p", [new TaskToStore("new", 0, "{}", 0, null), new TaskToStore("t", 0, """{"a":2}""", 0, null)], Now);

        Assert.Equal("t", outcome.ConflictingTaskId);
        Assert.Null(await store.GetAsync("p", "new"));
        Assert.Equal("""{"a":1}""", (await store.GetAsync("p", "t"))!.PayloadJson);
    }

    [Fact]
    public async Task Save_KeepsLeasesSubmissionsAndCompletion_AndRefusesAStaleVersion()
    {
        var store = new MemoryTaskStore();
        await store.ImportAsync("p", [new TaskToStore("t", 0, """{"q":"?"}""", 0, "\"yes\"")], Now);
        var lease = new LeaseRecord("L1", "w1", LeaseState.Active, Now, Now.AddMinutes(5));
        var submission = new SubmissionRecord("w1", "L1", "\"yes\"", Now.AddMinutes(1), true, 0.5m, ["s"]);

        Assert.Equal(2, await store.SaveAsync("p", "t", 1, new TaskChange(TaskState.Open, 0, false, lease, [], null), Now));
        Assert.Equal(3, await store.SaveAsync("p", "t", 2, new TaskChange(TaskState.Completed, 1, true, null, [lease with { State = LeaseState.Submitted }], submission), Now.AddMinutes(1)));
        await Assert.ThrowsAsync<TaskVersionConflictException>(() => store.SaveAsync("p", "t", 2, new TaskChange(TaskState.Open, 0, false, null, [], null), Now));
        await Assert.ThrowsAsync<TaskVersionConflictException>(() => store.SaveAsync("p", "unknown", 1, new TaskChange(TaskState.Open, 0, false, null, [], null), Now));

        var task = await store.GetAsync("p", "t");
        Assert.Equal(("t", 3L, TaskState.Completed, """{"q":"?"}""", "\"yes\"", 1), (task!.TaskId, task.Version, task.State, task.PayloadJson, task.GoldenAnswerJson, task.FailedAttempts));
        Assert.Equal([lease with { State = LeaseState.Submitted }], task.Leases.AsEnumerable());
        Assert.Equal([submission], task.Submissions.AsEnumerable());
        Assert.Equal(new LeaseLocation("p", "t", "w1"), await store.FindLeaseAsync("L1"));
        Assert.Empty(await store.GetActiveLeasesAsync("w1"));
        Assert.Equal(new ExamProgress(1, 1, 1), await store.GetExamProgressAsync("p", "w1"));
        var completed = Assert.Single((await store.ListCompletedAsync("p", null, 10, MaxBytes)).Items);
        Assert.Equal(("t", """{"q":"?"}""", Now.AddMinutes(1)), (completed.TaskId, completed.PayloadJson, completed.CompletedAt));
        Assert.Equal([submission], completed.Submissions.AsEnumerable());
    }

    [Fact]
    public async Task ActiveLeases_ComeBackWithTheirTaskPayload()
    {
        var store = new MemoryTaskStore();
        await store.ImportAsync("p", [new TaskToStore("t", 0, """{"img":"ü.png"}""", 0, null)], Now);
        var lease = new LeaseRecord("L1", "w1", LeaseState.Active, Now, Now.AddMinutes(5));

        await store.SaveAsync("p", "t", 1, new TaskChange(TaskState.Open, 0, false, lease, [], null), Now);

        Assert.Equal([new ActiveLeaseRecord("p", "t", lease, """{"img":"ü.png"}""")], await store.GetActiveLeasesAsync("w1"));
    }

    [Fact]
    public async Task ListCompleted_PagesInCompletionOrderAfterTheCursor()
    {
        var store = new MemoryTaskStore();
        await store.ImportAsync("p", [.. Enumerable.Range(0, 6).Select(i => new TaskToStore($"t{i}", 0, $"{i}", 0, null))], Now);
        var clock = Now;
        foreach (var i in new[] { 4, 1, 5, 0 })
        {
            // The clock steps back once: completion times must still follow completion order.
            await store.SaveAsync("p", $"t{i}", 1, new TaskChange(TaskState.Completed, 0, true, null, [], null), clock);
            clock = i == 1 ? Now.AddSeconds(-5) : clock.AddSeconds(1);
        }

        var firstPage = (await store.ListCompletedAsync("p", null, 3, MaxBytes)).Items;
        var last = firstPage[^1];
        var secondPage = (await store.ListCompletedAsync("p", new CompletionCursor(last.CompletedAt, last.TaskId), 3, MaxBytes)).Items;

        Assert.Equal(["t4", "t1", "t5"], firstPage.Select(t => t.TaskId));
        Assert.Equal(["4", "1", "5"], firstPage.Select(t => t.PayloadJson));
        Assert.Equal(["t0"], secondPage.Select(t => t.TaskId));
        Assert.Equal([Now, Now.AddSeconds(1), Now.AddSeconds(1), Now.AddSeconds(1)], firstPage.Concat(secondPage).Select(t => t.CompletedAt));
    }

    [Fact]
    public async Task List_OrdersByIdAfterTheCursorInTheState()
    {
        var store = new MemoryTaskStore();
        await store.ImportAsync("p", [.. new[] { "d", "b", "a", "e", "c" }.Select(id => new TaskToStore(id, 0, $"\"{id}\"", 0, null))], Now);
        await store.SaveAsync("p", "b", 1, new TaskChange(TaskState.DeadLettered, 3, false, null, [], null), Now);

        Assert.Equal(["b", "c", "d"], (await store.ListAsync("p", null, "a", 3, MaxBytes)).Items.Select(t => t.TaskId));
        Assert.Equal(["\"c\"", "\"d\"", "\"e\""], (await store.ListAsync("p", TaskState.Open, "a", 10, MaxBytes)).Items.Select(t => t.PayloadJson));
        var dead = Assert.Single((await store.ListAsync("p", TaskState.DeadLettered, null, 10, MaxBytes)).Items);
        Assert.Equal(("b", 2L, 3), (dead.TaskId, dead.Version, dead.FailedAttempts));
    }

    [Fact]
    public async Task LoadShard_HoldsItsTasksThatMayChange_AndCountsAll()
    {
        var store = new MemoryTaskStore();
        await store.ImportAsync("p", [.. Enumerable.Range(0, 6).Select(i => new TaskToStore($"t{i}", i % 2, $"{i}", i, null))], Now);
        var lease = new LeaseRecord("L1", "w1", LeaseState.Active, Now, Now.AddMinutes(5));
        await store.SaveAsync("p", "t0", 1, new TaskChange(TaskState.Open, 0, false, lease, [], null), Now);
        await store.SaveAsync("p", "t2", 1, new TaskChange(TaskState.Completed, 0, true, null, [], null), Now);

        var shard = await store.LoadShardAsync("p", 0, overlap: 2);

        Assert.Equal(new Dispatch.Projects.ProjectCounts(2, 1, 0, 1, 0), shard.Counts);
        Assert.Equal(["t0", "t4"], shard.Tasks.Select(t => t.TaskId));
        Assert.Equal((2L, 1, 1, Now.AddMinutes(5)), (shard.Tasks[0].Version, shard.Tasks[0].ActiveLeases, shard.Tasks[0].FreeSlots, shard.Tasks[0].NextExpiry));
        Assert.Equal(["w1"], shard.Tasks[0].Workers.AsEnumerable());
        Assert.Equal((1L, 4, 2, 0), (shard.Tasks[1].Version, shard.Tasks[1].Priority, shard.Tasks[1].FreeSlots, shard.Tasks[1].Workers.Length));
    }
}
