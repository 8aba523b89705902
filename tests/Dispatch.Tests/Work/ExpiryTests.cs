using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.Work;

/// <summary>
/// Lease expiry (docs/api.md, Work): an expired lease's slot is offered to others within one second after
/// <c>expiresAt</c>, late calls answer <c>409 lease-expired</c>, expiries count as failed attempts, and at
/// <c>maxAttempts</c> the task is dead-lettered until it is retried.
/// </summary>
public abstract class ExpiryTests : WorkTestBase
{
    /// <summary>"Within one second after expiresAt", plus 200 ms for the HTTP round trip and the 100 ms poll.</summary>
    private static readonly TimeSpan OfferedWithin = TimeSpan.FromSeconds(1.2);

    [Fact]
    public async Task ExpiredLease_IsOfferedToAnotherWorker_WithinOneSecondAfterExpiresAt()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"leaseSeconds":1,"maxAttempts":5}""", SmallTasks(1, "t"));
        var first = await CreateWorkerAsync();
        var second = await CreateWorkerAsync();
        var expiring = await ClaimLeaseAsync(first, projectId);

        var (lease, at, polls) = await PollClaimAsync(second, projectId, expiring.ExpiresAt + TimeSpan.FromSeconds(5));

        Assert.Equal("t-0", lease.TaskId);
        Assert.True(polls > 1, "the slot was offered at once, while the first lease was still active");
        Assert.True(at >= expiring.ExpiresAt, $"offered at {at:O}, before the first lease's expiresAt {expiring.ExpiresAt:O}");
        Assert.True(
            at - expiring.ExpiresAt <= OfferedWithin,
            $"offered {(at - expiring.ExpiresAt).TotalMilliseconds:0} ms after expiresAt {expiring.ExpiresAt:O}; docs/api.md allows one second");

        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal("expired", StateOf(LeaseOf(view, expiring.LeaseId)));
        Assert.Equal("active", StateOf(LeaseOf(view, lease.LeaseId)));
        Assert.Equal(1, FailedAttempts(view));
        Assert.Equal(0, (await GetWorkerAsync(Admin, first.Id))["activeLeases"]!.GetValue<int>());
        Assert.Empty((await first.Client.GetApiAsync(LeasesPath(first.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray());
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 1, activeLeases: 1);
    }

    [Fact]
    public async Task LateSubmitHeartbeatOrRelease_Is409LeaseExpired_AndStoresNothing()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"leaseSeconds":1,"maxAttempts":5,"reward":1}""", SmallTasks(2, "t"));
        var late = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(late, projectId);
        var otherLease = await ClaimLeaseAsync(other, projectId);

        // Just after expiresAt, even before the server's sweep may have run.
        await WaitUntilAsync(lease.ExpiresAt, TimeSpan.FromMilliseconds(150));
        (await SubmitAsync(late, lease.LeaseId, "too late")).IsProblem(HttpStatusCode.Conflict, "lease-expired");
        await WaitUntilAsync(otherLease.ExpiresAt, TimeSpan.FromMilliseconds(150));
        (await HeartbeatAsync(other, otherLease.LeaseId, 600)).IsProblem(HttpStatusCode.Conflict, "lease-expired");

        // And well after it.
        await WaitUntilAsync(otherLease.ExpiresAt, TimeSpan.FromSeconds(1.3));
        (await SubmitAsync(late, lease.LeaseId, "too late")).IsProblem(HttpStatusCode.Conflict, "lease-expired");
        (await HeartbeatAsync(late, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-expired");
        (await ReleaseAsync(late, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-expired");
        (await SubmitAsync(other, otherLease.LeaseId, "too late")).IsProblem(HttpStatusCode.Conflict, "lease-expired");
        (await ReleaseAsync(other, otherLease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-expired");

        foreach (var (taskId, leaseId) in new[] { (lease.TaskId, lease.LeaseId), (otherLease.TaskId, otherLease.LeaseId) })
        {
            var view = await GetTaskAsync(owner.Client, projectId, taskId);
            Assert.Equal("expired", StateOf(LeaseOf(view, leaseId)));
            Assert.Equal("open", StateOf(view));
            Assert.Equal(1, FailedAttempts(view));
            Assert.Empty(view["submissions"]!.AsArray());
        }

        var workerView = await GetWorkerAsync(Admin, late.Id);
        Assert.Equal(0, workerView["stats"]!["submitted"]!.GetValue<int>());
        Assert.Equal(0m, Decimal(workerView["earnings"]!["total"], "earnings.total"));
        await AssertCountsAsync(owner.Client, projectId, total: 2, open: 2);

        // Never the same worker twice on a task, even after its lease expired: each gets only the other's task.
        var swapped = await ClaimLeaseAsync(late, projectId);
        Assert.Equal(otherLease.TaskId, swapped.TaskId);
        (await ClaimAsync(late, projectId)).IsEmpty(HttpStatusCode.NoContent);
        Assert.Equal(lease.TaskId, (await ClaimLeaseAsync(other, projectId)).TaskId);
    }

    [Fact]
    public async Task Heartbeat_KeepsALeasePastItsFirstExpiry()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"leaseSeconds":1}""", SmallTasks(1, "t"));
        var worker = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);

        (await HeartbeatAsync(worker, lease.LeaseId, extendSeconds: 5)).Is(HttpStatusCode.OK);
        await WaitUntilAsync(lease.ExpiresAt, TimeSpan.FromSeconds(1.5));

        Assert.Equal("active", StateOf(LeaseOf(await GetTaskAsync(owner.Client, projectId, "t-0"), lease.LeaseId)));
        (await ClaimAsync(other, projectId)).IsEmpty(HttpStatusCode.NoContent);
        Assert.Equal("completed", await SubmitOkAsync(worker, lease));
        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(0, FailedAttempts(view));
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 0, completed: 1, submissions: 1);
    }

    [Fact]
    public async Task ExpiriesCountAsFailedAttempts_AtMaxAttemptsTheTaskIsDeadLettered_AndRetryReopensIt()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"leaseSeconds":1,"maxAttempts":2}""", SmallTasks(2, "t"));
        var w1 = await CreateWorkerAsync();
        var w2 = await CreateWorkerAsync();
        var w3 = await CreateWorkerAsync();

        var first = await ClaimLeaseAsync(w1, projectId);
        Assert.Equal("t-0", first.TaskId);
        var afterFirst = await EventuallyAsync(
            () => GetTaskAsync(owner.Client, projectId, "t-0"), v => FailedAttempts(v) == 1, TimeSpan.FromSeconds(4), "first expiry");
        Assert.Equal("open", StateOf(afterFirst));
        Assert.True(DateTimeOffset.UtcNow - first.ExpiresAt <= OfferedWithin + TimeSpan.FromSeconds(0.3), "the first expiry was counted late");

        var (second, _, _) = await PollClaimAsync(w2, projectId, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3));
        Assert.Equal("t-0", second.TaskId);
        var dead = await EventuallyAsync(
            () => GetTaskAsync(owner.Client, projectId, "t-0"), v => StateOf(v) == "deadLettered", TimeSpan.FromSeconds(4), "dead letter after the second expiry");
        Assert.True(DateTimeOffset.UtcNow - second.ExpiresAt <= OfferedWithin + TimeSpan.FromSeconds(0.3), "the second expiry was counted late");
        Assert.Equal(2, FailedAttempts(dead));
        Assert.Equal(new[] { "expired", "expired" }, dead["leases"]!.AsArray().Select(l => StateOf(l!)));
        await AssertCountsAsync(owner.Client, projectId, total: 2, open: 1, deadLettered: 1);

        var listed = (await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/tasks?state=deadLettered")).Is(HttpStatusCode.OK);
        var item = Assert.Single(listed["items"]!.AsArray())!;
        Assert.Equal("t-0", item["id"]!.GetValue<string>());
        Assert.Equal("deadLettered", StateOf(item));
        Assert.Null(listed["next"]?.GetValue<string>());

        // A dead letter is offered to nobody: w3 gets the other task, then nothing.
        var other = await ClaimLeaseAsync(w3, projectId);
        Assert.Equal("t-1", other.TaskId);
        await SubmitOkAsync(w3, other);
        (await ClaimAsync(w3, projectId)).IsEmpty(HttpStatusCode.NoContent);

        var retried = (await owner.Client.PostApiAsync($"{TaskPath(projectId, "t-0")}/retry", null)).Is(HttpStatusCode.OK);
        Assert.Equal("t-0", retried["id"]!.GetValue<string>());
        Assert.Equal("open", StateOf(retried));
        Assert.Equal(0, FailedAttempts(retried));
        await AssertCountsAsync(owner.Client, projectId, total: 2, open: 1, completed: 1, submissions: 1);
        Assert.Empty((await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/tasks?state=deadLettered")).Is(HttpStatusCode.OK)["items"]!.AsArray());

        // Reopened, but each (task, worker) pair is still leased at most once.
        (await ClaimAsync(w1, projectId)).IsEmpty(HttpStatusCode.NoContent);
        (await ClaimAsync(w2, projectId)).IsEmpty(HttpStatusCode.NoContent);
        var third = await ClaimLeaseAsync(w3, projectId);
        Assert.Equal("t-0", third.TaskId);
        Assert.Equal("completed", await SubmitOkAsync(w3, third));
        await AssertCountsAsync(owner.Client, projectId, total: 2, open: 0, completed: 2, submissions: 2);

        (await owner.Client.PostApiAsync($"{TaskPath(projectId, "t-0")}/retry", null)).IsProblem(HttpStatusCode.Conflict, "conflict");
    }

    [Fact]
    public async Task ReleasesCountAsFailedAttempts_DeadLettersArePaged_AndRetryOfALiveTaskIs409Conflict()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"maxAttempts":1}""", SmallTasks(4, "t"));
        var worker = await CreateWorkerAsync();
        for (var i = 0; i < 3; i++)
        {
            var lease = await ClaimLeaseAsync(worker, projectId);
            (await ReleaseAsync(worker, lease.LeaseId)).Is(HttpStatusCode.OK);
            Assert.Equal("deadLettered", StateOf(await GetTaskAsync(owner.Client, projectId, lease.TaskId)));
        }

        await AssertCountsAsync(owner.Client, projectId, total: 4, open: 1, deadLettered: 3);

        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var query = $"{ProjectPath(projectId)}/tasks?state=deadLettered&limit=2" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = (await owner.Client.GetApiAsync(query)).Is(HttpStatusCode.OK);
            var items = page["items"]!.AsArray();
            Assert.InRange(items.Count, 1, 2);
            Assert.All(items, i => Assert.Equal("deadLettered", StateOf(i!)));
            Assert.All(items, i => Assert.Equal(1, FailedAttempts(i!)));
            seen.AddRange(items.Select(i => i!["id"]!.GetValue<string>()));
            after = page["next"]?.GetValue<string>();
            pages++;
        }
        while (after is not null && pages < 10);

        Assert.Equal(new[] { "t-0", "t-1", "t-2" }, seen.Order());
        Assert.Equal(2, pages);

        (await owner.Client.PostApiAsync($"{TaskPath(projectId, "t-3")}/retry", null)).IsProblem(HttpStatusCode.Conflict, "conflict");
        (await owner.Client.PostApiAsync($"{TaskPath(projectId, "missing")}/retry", null)).IsProblem(HttpStatusCode.NotFound, "not-found");
        var stranger = await CreateRequesterAsync();
        var refused = await stranger.Client.PostApiAsync($"{TaskPath(projectId, "t-0")}/retry", null);
        Assert.True(refused.Status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"another requester retried a task: {refused}");
        Assert.Equal("deadLettered", StateOf(await GetTaskAsync(owner.Client, projectId, "t-0")));

        (await Admin.PostApiAsync($"{TaskPath(projectId, "t-0")}/retry", null)).Is(HttpStatusCode.OK);
        await AssertCountsAsync(owner.Client, projectId, total: 4, open: 2, deadLettered: 2);
    }

    /// <summary>Claims every 100 ms until a lease is granted; returns it, the time it was granted and the number of calls.</summary>
    protected static async Task<(Lease Lease, DateTimeOffset At, int Polls)> PollClaimAsync(Worker worker, string projectId, DateTimeOffset giveUpAt)
    {
        for (var polls = 1; ; polls++)
        {
            var response = await ClaimAsync(worker, projectId);
            var at = DateTimeOffset.UtcNow;
            if (response.Status == HttpStatusCode.Created)
            {
                return (ToLease(response, projectId), at, polls);
            }

            response.IsEmpty(HttpStatusCode.NoContent);
            if (at > giveUpAt)
            {
                throw new XunitException($"No lease by {giveUpAt:O} after {polls} claims; last: {response}");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>Lease expiry on in-memory storage.</summary>
[Collection(TimingCollection.Name)]
public sealed class ExpiryTests_Memory(MemoryApiHost host) : ExpiryTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Lease expiry on PostgreSQL storage, on a database of its own.</summary>
[Collection(TimingCollection.Name)]
public sealed class ExpiryTests_Postgres(PostgresServer postgres, PostgresApiHost host) : ExpiryTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
