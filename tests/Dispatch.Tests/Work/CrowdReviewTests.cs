using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// Crowd review over HTTP, the path every review takes (docs/api.md, Review): a pending submission is served to another
/// worker as a review lease through the claim call, before tasks; its verdict decides the submission, pays the reviewer
/// once, and a rejection offers the task again.
/// </summary>
public abstract class CrowdReviewTests : WorkTestBase
{
    private const string CrowdReview = """{"review":{"mode":"crowd","reward":0.25},"reward":1,"overlap":1,"maxAttempts":3}""";

    private static Task<ApiResponse> VerdictAsync(Worker reviewer, Lease lease, string verdict) =>
        reviewer.Client.PostApiAsync(LeasePath(reviewer.Id, lease.LeaseId, "submit"), new { result = new { verdict, comment = "checked" } });

    [Fact]
    public async Task PendingSubmission_IsReviewedByAnotherWorker_WhoIsPaidOnce_AndARejectionOffersTheTaskAgain()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(CrowdReview, SmallTasks(1, "t"));
        var labeller = await CreateWorkerAsync();
        var reviewer = await CreateWorkerAsync();
        var second = await CreateWorkerAsync();

        var work = await ClaimLeaseAsync(labeller, projectId);
        Assert.Equal("task", work.Body["kind"]!.GetValue<string>());
        Assert.Null(work.Body["review"]);
        await SubmitOkAsync(labeller, work, new { label = "cat" });

        // The submitter is never offered its own submission; another worker is, before any task.
        (await ClaimAsync(labeller, projectId)).IsEmpty(HttpStatusCode.NoContent);
        var review = await ClaimLeaseAsync(reviewer, projectId);
        Assert.Equal(("review", "t-0"), (review.Body["kind"]!.GetValue<string>(), review.TaskId));
        Assert.Equal("cat", review.Body["review"]!["result"]!["label"]!.GetValue<string>());
        Assert.DoesNotContain(labeller.Id, review.Body.ToJsonString(), StringComparison.Ordinal);

        // Anything but a verdict is refused and stores nothing; the lease is still the reviewer's.
        (await SubmitAsync(reviewer, review.LeaseId, new { label = "dog" })).IsValidationProblem("result");
        (await SubmitAsync(reviewer, review.LeaseId, new { verdict = "maybe" })).IsValidationProblem("result");
        (await SubmitJsonAsync(reviewer.Client, reviewer.Id, review.LeaseId, """{"verdict":"accept","comment":"a\u0000b"}""")).IsValidationProblem("result");
        (await HeartbeatAsync(reviewer, review.LeaseId)).Is(HttpStatusCode.OK);

        // A rejection: the submission is rejected by the crowd, the reviewer paid, and the task offered to someone else.
        (await VerdictAsync(reviewer, review, "reject")).Is(HttpStatusCode.OK);
        var task = await GetTaskAsync(owner.Client, projectId, "t-0");
        var decided = task["submissions"]!.AsArray().Single()!;
        Assert.Equal(("rejected", "reject", "crowd", reviewer.Id), (StateOf(decided), decided["review"]!["verdict"]!.GetValue<string>(),
            decided["review"]!["by"]!.GetValue<string>(), decided["review"]!["reviewerId"]!.GetValue<string>()));
        Assert.Equal(1, FailedAttempts(task));

        // A repeated verdict is a lease already submitted: never a second payment.
        (await VerdictAsync(reviewer, review, "reject")).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        var reviewerView = (await Admin.GetApiAsync(WorkerPath(reviewer.Id))).Is(HttpStatusCode.OK);
        Assert.Equal(0.25m, Decimal(reviewerView["earnings"]!["total"], "earnings.total"));
        var ledger = (await Admin.GetApiAsync($"{WorkerPath(reviewer.Id)}/ledger")).Is(HttpStatusCode.OK)["items"]!.AsArray();
        var entry = Assert.Single(ledger)!;
        Assert.Equal(("reviewReward", "t-0"), (entry["kind"]!.GetValue<string>(), entry["taskId"]!.GetValue<string>()));
        Assert.Equal(0.25m, Decimal(entry["balance"], "balance"));

        // The reviewer saw an answer to the task, so it never labels it; the third worker does, and its work is
        // reviewed by the first reviewer, whose accept completes the task.
        (await ClaimAsync(reviewer, projectId)).IsEmpty(HttpStatusCode.NoContent);
        (await ClaimAsync(labeller, projectId)).IsEmpty(HttpStatusCode.NoContent);
        var redo = await ClaimLeaseAsync(second, projectId);
        Assert.Equal("task", redo.Body["kind"]!.GetValue<string>());
        await SubmitOkAsync(second, redo, new { label = "cat" });
        var again = await ClaimLeaseAsync(reviewer, projectId);
        Assert.Equal("review", again.Body["kind"]!.GetValue<string>());
        var accepted = (await VerdictAsync(reviewer, again, "accept")).Is(HttpStatusCode.OK);
        Assert.Equal("completed", accepted["taskState"]!.GetValue<string>());

        reviewerView = (await Admin.GetApiAsync(WorkerPath(reviewer.Id))).Is(HttpStatusCode.OK);
        Assert.Equal(0.5m, Decimal(reviewerView["earnings"]!["total"], "earnings.total"));
        var secondView = (await Admin.GetApiAsync(WorkerPath(second.Id))).Is(HttpStatusCode.OK);
        Assert.Equal(1m, Decimal(secondView["earnings"]!["total"], "earnings.total"));
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 0, completed: 1, deadLettered: 0, activeLeases: 0, submissions: 2);
    }

    [Fact]
    public async Task ReviewLease_ThatExpires_IsOfferedToAnotherReviewer_AndCountsNoFailedAttempt()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(
            """{"review":{"mode":"crowd"},"overlap":1,"maxAttempts":1,"leaseSeconds":1}""", SmallTasks(1, "t"));
        var labeller = await CreateWorkerAsync();
        var slow = await CreateWorkerAsync();
        var reviewer = await CreateWorkerAsync();

        await SubmitOkAsync(labeller, await ClaimLeaseAsync(labeller, projectId));
        var first = await ClaimLeaseAsync(slow, projectId);
        Assert.Equal("review", first.Body["kind"]!.GetValue<string>());

        // One reviewer at a time: while the review lease is active nobody else gets the item.
        (await ClaimAsync(reviewer, projectId)).IsEmpty(HttpStatusCode.NoContent);
        await WaitUntilAsync(first.ExpiresAt, ClockSlack);
        var second = await EventuallyAsync(
            () => ClaimAsync(reviewer, projectId),
            r => r.Status == HttpStatusCode.Created,
            TimeSpan.FromSeconds(5),
            "the expired item offered again");
        Assert.Equal("review", second.Json!["kind"]!.GetValue<string>());

        // The slow reviewer never gets the same item again; the expiry was no attempt at the task.
        (await ClaimAsync(slow, projectId)).IsEmpty(HttpStatusCode.NoContent);
        var task = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(("open", 0), (StateOf(task), FailedAttempts(task)));
    }
}

/// <summary>Crowd review on in-memory storage.</summary>
public sealed class CrowdReviewTests_Memory(MemoryApiHost host) : CrowdReviewTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Crowd review on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CrowdReviewTests_Postgres(PostgresServer postgres, PostgresApiHost host) : CrowdReviewTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
