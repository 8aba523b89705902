using System.Net;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// A project's event stream (docs/api.md, Events): SSE frames whose <c>event:</c> is the type and whose data is
/// <c>{type, projectId, taskId?, workerId?, leaseId?, at, data?}</c>, one per task or lease event of that project only.
/// </summary>
public abstract class EventsTests : WorkTestBase
{
    [Fact]
    public async Task EventStream_ShowsEachStepOfTheWork()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"maxAttempts":1,"leaseSeconds":60}""");
        var elsewhere = await CreateProjectAsync(owner.Client);
        var w1 = await CreateWorkerAsync();
        var w2 = await CreateWorkerAsync();
        var (events, refusal) = await SseReader.OpenAsync(owner.Client, $"{ProjectPath(projectId)}/events");
        Assert.True(events is not null, $"the owner could not open its events: {refusal}");
        await using var _ = events;

        await ImportAsync(owner.Client, elsewhere, SmallTasks(4));
        await ImportAsync(owner.Client, projectId, SmallTasks(2, "t"));
        var created = await events.WaitForEventAsync("task.created");
        Assert.Equal(2, created.Json["data"]?["count"]?.GetValue<int>());

        var lease = await ClaimLeaseAsync(w1, projectId);
        Assert.Equal("t-0", lease.TaskId);
        await events.WaitForEventAsync("task.leased", "t-0", w1.Id, lease.LeaseId);
        await SubmitOkAsync(w1, lease);
        await events.WaitForEventAsync("task.submitted", "t-0", w1.Id, lease.LeaseId);
        await events.WaitForEventAsync("task.completed", "t-0");

        var dropped = await ClaimLeaseAsync(w1, projectId);
        Assert.Equal("t-1", dropped.TaskId);
        (await ReleaseAsync(w1, dropped.LeaseId)).Is(HttpStatusCode.OK);
        await events.WaitForEventAsync("lease.released", "t-1", w1.Id, dropped.LeaseId);
        await events.WaitForEventAsync("task.deadLettered", "t-1");
        (await owner.Client.PostApiAsync($"{TaskPath(projectId, "t-1")}/retry", null)).Is(HttpStatusCode.OK);
        await events.WaitForEventAsync("task.retried", "t-1");

        (await owner.Client.PatchApiAsync(ProjectPath(projectId), new { leaseSeconds = 1 })).Is(HttpStatusCode.OK);
        var expiring = await ClaimLeaseAsync(w2, projectId);
        Assert.Equal("t-1", expiring.TaskId);
        await events.WaitForEventAsync("task.leased", "t-1", w2.Id, expiring.LeaseId);
        var expired = await events.WaitForEventAsync("lease.expired", "t-1", w2.Id, expiring.LeaseId, TimeSpan.FromSeconds(6));
        Assert.True(
            ApiAssert.IsUtcTimestamp(expired.Json["at"], "at") >= expiring.ExpiresAt - TimeSpan.FromMilliseconds(100),
            $"lease.expired at {expired.Json["at"]} is before the lease's expiresAt {expiring.ExpiresAt:O}");

        // Every frame: an id, the type as the SSE event name, this project only, a UTC time.
        await Task.Delay(300);
        var frames = events.Frames;
        Assert.All(frames, f =>
        {
            Assert.False(string.IsNullOrEmpty(f.Id), $"frame without id: {f}");
            Assert.Equal(f.Event, f.Json["type"]?.GetValue<string>());
            Assert.Equal(projectId, f.Json["projectId"]?.GetValue<string>());
            ApiAssert.IsUtcTimestamp(f.Json["at"], "at");
        });
        Assert.Single(frames, f => f.Event == "task.created");
        Assert.Single(frames, f => f.Event == "task.completed");
        Assert.Equal(frames.Count, frames.Select(f => f.Id).Distinct().Count());
    }

    [Fact]
    public async Task EventStream_OfAnotherRequestersProject_Is404NotFound()
    {
        var owner = await CreateRequesterAsync();
        var stranger = await CreateRequesterAsync();
        var worker = await CreateWorkerAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var path = $"{ProjectPath(projectId)}/events";

        var (strangerStream, strangerRefusal) = await SseReader.OpenAsync(stranger.Client, path);
        Assert.Null(strangerStream);
        strangerRefusal!.IsProblem(HttpStatusCode.NotFound, "not-found");

        var (anonymousStream, anonymousRefusal) = await SseReader.OpenAsync(Anonymous, path);
        Assert.Null(anonymousStream);
        anonymousRefusal!.IsProblem(HttpStatusCode.Unauthorized, "unauthenticated");

        var (workerStream, workerRefusal) = await SseReader.OpenAsync(worker.Client, path);
        Assert.Null(workerStream);
        workerRefusal!.IsProblem(HttpStatusCode.Forbidden, "forbidden");

        var (missingStream, missingRefusal) = await SseReader.OpenAsync(owner.Client, $"{ProjectPath(NewId("missing"))}/events");
        Assert.Null(missingStream);
        missingRefusal!.IsProblem(HttpStatusCode.NotFound, "not-found");

        // The admin may watch any project.
        var (adminStream, adminRefusal) = await SseReader.OpenAsync(Admin, path);
        Assert.True(adminStream is not null, $"the admin could not open the events: {adminRefusal}");
        await using var _ = adminStream;
        await ImportAsync(owner.Client, projectId, SmallTasks(3));
        var created = await adminStream.WaitForEventAsync("task.created");
        Assert.Equal(3, created.Json["data"]?["count"]?.GetValue<int>());
    }
}

/// <summary>Events on in-memory storage.</summary>
public sealed class EventsTests_Memory(MemoryApiHost host) : EventsTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Events on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EventsTests_Postgres(PostgresServer postgres, PostgresApiHost host) : EventsTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
