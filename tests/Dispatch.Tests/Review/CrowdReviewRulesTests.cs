using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.CrowdReview;

/// <summary>
/// Crowd review over HTTP (docs/api.md, Review, crowd mode): each pending submission is a review item served by the
/// ordinary claim call to eligible workers who did not work on its task; the verdict goes through the review lease's
/// submit; leases of review items obey every lease rule; verdicts move the submission and the money.
/// </summary>
public abstract class CrowdReviewRulesTests : CrowdReviewTestBase
{
    private const string Instructions = "Is the label right?";

    private static string OneTaskAtATime(string? reviewRequirements = null, decimal reviewReward = 0m, string? extra = null) =>
        CrowdProject(reviewRequirements, reviewReward, $$"""
            "overlap":1,"instructions":"{{Instructions}}","labelConfig":"<View/>"{{(extra is null ? "" : "," + extra)}}
            """);

    [Fact]
    public async Task PendingSubmission_IsServedAsAReviewLease_WithTheResult_AndWithoutTheSubmittersId()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(extra: "\"leaseSeconds\":120"), SmallTasks(1, "t"));
        var labeller = await CreateWorkerAsync();
        var reviewer = await CreateWorkerAsync();

        var task = await LabelAsync(labeller, projectId, new { label = "cat", boxes = new[] { 1, 2 } });
        Assert.Equal("pending", StateOf(SubmissionOf(await GetTaskAsync(owner.Client, projectId, task.TaskId), labeller.Id)));

        var before = DateTimeOffset.UtcNow;
        var response = await ClaimAsync(reviewer, projectId);
        var lease = ReviewWork.AsReview(ToLease(response, projectId).Body);
        Assert.Equal(task.TaskId, lease.TaskId);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"label":"cat","boxes":[1,2]}"""), lease.Result), response.ToString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"n":0}"""), lease.Payload), response.ToString());
        Assert.Equal((Instructions, "<View/>"), (lease.Body["instructions"]?.GetValue<string>(), lease.Body["labelConfig"]?.GetValue<string>()));
        Assert.InRange(lease.ExpiresAt, before.AddSeconds(120) - ClockSlack, DateTimeOffset.UtcNow.AddSeconds(120) + ClockSlack);
        Assert.NotEqual(task.LeaseId, lease.LeaseId);
        ReviewWork.Hides(response.Text, [labeller.Id], "the review lease");

        // The reviewer's active leases show it as the claim did, still without the submitter.
        var active = Assert.Single(await ActiveLeasesAsync(reviewer));
        Assert.Equal((lease.LeaseId, "review"), (active["leaseId"]!.GetValue<string>(), ReviewWork.KindOf(active)));
        ReviewWork.Hides(active.ToJsonString(), [labeller.Id], "the reviewer's lease list");
    }

    [Fact]
    public async Task ReviewItem_IsNeverServedToItsSubmitter_NorToAnyoneWhoSubmittedToTheTask()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(CrowdProject(extra: "\"overlap\":2"), SmallTasks(1, "t"));
        var a = await CreateWorkerAsync();
        var b = await CreateWorkerAsync();
        // Both lease the task before either submits: a pending submission would be a review item the other may take.
        var leaseA = await ClaimTaskAsync(a, projectId);
        var leaseB = await ClaimTaskAsync(b, projectId);
        await SubmitOkAsync(a, leaseA, new { label = "a" });
        await SubmitOkAsync(b, leaseB, new { label = "b" });

        // Two pending items on t-0, and both workers who could review them worked on t-0.
        await AssertNothingToClaimAsync(a, projectId, "a submitted to the only task and may not review it");
        await AssertNothingToClaimAsync(b, projectId, "b submitted to the only task and may not review it");

        var c = await CreateWorkerAsync();
        var d = await CreateWorkerAsync();
        var first = await ClaimReviewAsync(c, projectId);
        var second = await ClaimReviewAsync(d, projectId);
        Assert.Equal(("t-0", "t-0"), (first.TaskId, second.TaskId));
        Assert.Equal(
            ["a", "b"],
            new[] { first.Result, second.Result }.Select(r => r!["label"]!.GetValue<string>()).Order());
        ReviewWork.Hides(first.Body.ToJsonString() + second.Body.ToJsonString(), [a.Id, b.Id], "a review lease");

        // Both decided: nobody has anything more to take.
        await VerdictOkAsync(c, first, "accept");
        await VerdictOkAsync(d, second, "accept");
        Assert.Equal("completed", StateOf(await GetTaskAsync(owner.Client, projectId, "t-0")));
        await AssertNothingToClaimAsync(a, projectId, "the task is completed");
        await AssertNothingToClaimAsync(await CreateWorkerAsync(), projectId, "the task is completed and both items decided");
    }

    [Fact]
    public async Task ReviewItem_GoesOnlyToWorkersMeetingTheReviewRequirements_NeverToBlockedOnes()
    {
        var skill = NewId("rv");
        var (_, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(Requirements((skill, 2))), SmallTasks(1, "t"));
        await LabelAsync(await CreateWorkerAsync(), projectId, new { label = "cat" });

        await AssertNothingToClaimAsync(await CreateWorkerAsync(), projectId, "an uncertified worker may not review");
        await AssertNothingToClaimAsync(await CertifiedWorkerAsync((skill, 1)), projectId, "a worker below review level 2 may not review");
        await AssertNothingToClaimAsync(await CertifiedWorkerAsync((NewId("other"), 5)), projectId, "another skill does not qualify");

        var blocked = await CertifiedWorkerAsync((skill, 3));
        (await Admin.PostApiAsync($"{WorkerPath(blocked.Id)}/block", new { reason = "test" })).Is(HttpStatusCode.OK);
        (await ClaimAsync(blocked, projectId)).IsProblem(HttpStatusCode.Forbidden, "worker-blocked");

        // Blocking a reviewer ends its review lease at once, and the item goes to another eligible reviewer.
        var holder = await CertifiedWorkerAsync((skill, 2));
        var held = await ClaimReviewAsync(holder, projectId);
        var next = await CertifiedWorkerAsync((skill, 2));
        await AssertNothingToClaimAsync(next, projectId, "the only item is leased to another reviewer");
        (await Admin.PostApiAsync($"{WorkerPath(holder.Id)}/block", new { })).Is(HttpStatusCode.OK);
        var taken = await ClaimReviewAsync(next, projectId);
        Assert.Equal(held.TaskId, taken.TaskId);
        Assert.True(JsonNode.DeepEquals(held.Result, taken.Result), taken.Body.ToJsonString());
        var late = await VerdictAsync(holder, held.LeaseId, "accept");
        Assert.True(late.Status != HttpStatusCode.OK, $"a blocked reviewer's ended lease took a verdict: {late}");
    }

    [Fact]
    public async Task AReviewer_NeedsOnlyTheReviewRequirements()
    {
        var labelling = NewId("lab");
        var reviewing = NewId("rv");
        var (_, projectId, _) = await CreateProjectWithTasksAsync(
            OneTaskAtATime(Requirements((reviewing, 1)), extra: $$"""
                "requirements":{{Requirements((labelling, 1))}}
                """),
            SmallTasks(1, "t"));
        await LabelAsync(await CertifiedWorkerAsync((labelling, 1)), projectId, new { label = "cat" });

        var reviewer = await CertifiedWorkerAsync((reviewing, 1));
        var lease = await ClaimReviewAsync(reviewer, projectId);
        Assert.Equal("t-0", lease.TaskId);
        await AssertNothingToClaimAsync(await CertifiedWorkerAsync((labelling, 5)), projectId, "a labeller without the review skill may not review");
    }

    [Fact]
    public async Task WithinAProject_ReviewItemsComeBeforeTasks()
    {
        var (_, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(), SmallTasks(3, "t"));
        var labeller = await CreateWorkerAsync();
        var both = await CreateWorkerAsync();
        var labelled = await LabelAsync(labeller, projectId, new { label = "cat" });

        var review = await ClaimReviewAsync(both, projectId);
        Assert.Equal(labelled.TaskId, review.TaskId);
        await VerdictOkAsync(both, review, "accept");

        // No review item is left, so the same worker now gets a task.
        var task = await ClaimTaskAsync(both, projectId);
        Assert.NotEqual(labelled.TaskId, task.TaskId);
    }

    [Fact]
    public async Task ReviewSubmit_TakesOnlyAVerdict_AndStoresNothingOtherwise()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(reviewReward: 0.05m, extra: "\"reward\":0.25"), SmallTasks(1, "t"));
        var labeller = await CreateWorkerAsync();
        var reviewer = await CreateWorkerAsync();
        await LabelAsync(labeller, projectId, new { label = "cat" });
        var lease = await ClaimReviewAsync(reviewer, projectId);

        var lostLease = new List<string>();
        foreach (var body in new[]
        {
            """{"result":{"verdict":"maybe"}}""",
            """{"result":{"verdict":""}}""",
            """{"result":{"verdict":null}}""",
            """{"result":{"verdict":1}}""",
            """{"result":{"verdict":true}}""",
            """{"result":{}}""",
            """{"result":{"comment":"no verdict"}}""",
            """{"result":{"verdict":"accept","comment":7}}""",
            """{"result":{"verdict":["accept"]}}""",
            """{"result":"accept"}""",
            """{"result":["accept"]}""",
            """{"result":null}""",
            """{"verdict":"accept"}""",
            """{}""",
        })
        {
            (await reviewer.Client.PostApiAsync(LeasePath(reviewer.Id, lease.LeaseId, "submit"), body)).IsValidationProblem();
            if (!(await ActiveLeasesAsync(reviewer)).Any(l => l["leaseId"]!.GetValue<string>() == lease.LeaseId))
            {
                lostLease.Add(body);
            }
        }

        // Nothing of it stored: the submission is pending, nobody paid, and the verdict may still be given.
        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(("open", "pending"), (StateOf(view), StateOf(SubmissionOf(view, labeller.Id))));
        Assert.Null(SubmissionOf(view, labeller.Id)["review"]);
        Assert.Empty(await LedgerAsync(Admin, reviewer.Id));
        Assert.Equal(new Earnings(0m, 0.25m, 0m, 0m), await EarningsAsync(labeller.Id));

        await VerdictOkAsync(reviewer, lease, "reject");
        AssertCrowdVerdict(SubmissionOf(await GetTaskAsync(owner.Client, projectId, "t-0"), labeller.Id), "rejected", "reject", reviewer.Id, comment: null);

        // Nor did a refused submit end the lease for its holder: until the verdict it was listed among its active leases.
        Assert.True(lostLease.Count == 0, $"the still active review lease left the reviewer's lease list after the refused submits {string.Join(", ", lostLease)}");
    }

    [Fact]
    public async Task Accept_ByTheCrowd_CompletesTheTask_PaysBoth_AndARetriedVerdictPaysTheReviewerOnce()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(reviewReward: 0.05m, extra: "\"reward\":0.25"), SmallTasks(2, "t"));
        var labeller = await CreateWorkerAsync();
        var reviewer = await CreateWorkerAsync();
        var events = await EventsAsync(owner.Client, projectId);
        await using var _ = events;
        var labelled = await LabelAsync(labeller, projectId, new { label = "cat" });
        Assert.Equal(new Earnings(0m, 0.25m, 0m, 0m), await EarningsAsync(labeller.Id));

        var lease = await ClaimReviewAsync(reviewer, projectId);
        var verdicts = await Task.WhenAll(
            VerdictAsync(reviewer, lease.LeaseId, "accept", "looks right"),
            VerdictAsync(reviewer, lease.LeaseId, "accept", "looks right"));
        Assert.Single(verdicts, v => v.Status == HttpStatusCode.OK);
        verdicts.Single(v => v.Status != HttpStatusCode.OK).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        (await VerdictAsync(reviewer, lease.LeaseId, "accept", "looks right")).IsProblem(HttpStatusCode.Conflict, "lease-not-active");

        var view = await GetTaskAsync(owner.Client, projectId, labelled.TaskId);
        Assert.Equal("completed", StateOf(view));
        AssertCrowdVerdict(SubmissionOf(view, labeller.Id), "accepted", "accept", reviewer.Id, "looks right");
        var listed = await ListedSubmissionAsync(owner.Client, projectId, "accepted", labelled.TaskId, labeller.Id);
        AssertCrowdVerdict(listed, "accepted", "accept", reviewer.Id, "looks right");
        Assert.Equal("cat", listed["result"]!["label"]!.GetValue<string>());
        Assert.Empty(await SubmissionsAsync(owner.Client, projectId, "pending"));

        var accepted = await events.WaitForEventAsync("submission.accepted", labelled.TaskId, labeller.Id);
        Assert.Equal("crowd", accepted.Json["data"]?["by"]?.GetValue<string>());
        await events.WaitForEventAsync("task.completed", labelled.TaskId);

        // The labeller earned its reward, the reviewer its review reward, each entered once.
        Assert.Equal(new Earnings(0.25m, 0m, 0m, 0.25m), await EarningsAsync(labeller.Id));
        var labellerLedger = await LedgerAsync(labeller.Client, labeller.Id);
        Assert.Equal([("reward", 0.25m)], labellerLedger.Select(e => (e.Kind, e.Amount)));
        await AssertLedgerAddsUpAsync(labeller.Id, labellerLedger);
        Assert.Equal(new Earnings(0.05m, 0m, 0m, 0.05m), await EarningsAsync(reviewer.Id));
        var reviewerLedger = await LedgerAsync(reviewer.Client, reviewer.Id);
        Assert.Equal([("reviewReward", 0.05m)], reviewerLedger.Select(e => (e.Kind, e.Amount)));
        await AssertLedgerAddsUpAsync(reviewer.Id, reviewerLedger);
        Assert.Equal(0.05m, Decimal((await GetWorkerAsync(reviewer.Client, reviewer.Id))["earnings"]!["total"], "earnings.total"));

        // The reviewer's money is its own: a payout of it all is paid, one cent more is not.
        (await PayoutAsync(Admin, reviewer.Id, 0.0501m, "more")).IsProblem(HttpStatusCode.Conflict, "insufficient-balance");
        (await PayoutAsync(Admin, reviewer.Id, 0.05m, "all")).Is(HttpStatusCode.Created);
        Assert.Equal(new Earnings(0.05m, 0m, 0.05m, 0m), await EarningsAsync(reviewer.Id));
    }

    [Fact]
    public async Task Reject_ByTheCrowd_ReopensTheSlotForAnotherWorker_CountsTowardMaxAttempts_AndPaysTheReviewer()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(
            OneTaskAtATime(reviewReward: 0.05m, extra: "\"reward\":0.25,\"maxAttempts\":2"), SmallTasks(1, "t"));
        var first = await CreateWorkerAsync();
        var second = await CreateWorkerAsync();
        var reviewer = await CreateWorkerAsync();
        var otherReviewer = await CreateWorkerAsync();
        var events = await EventsAsync(owner.Client, projectId);
        await using var _ = events;

        await LabelAsync(first, projectId, new { label = "dog" });
        var lease = await ClaimReviewAsync(reviewer, projectId);
        await VerdictOkAsync(reviewer, lease, "reject", "it is a cat");

        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(("open", 1), (StateOf(view), FailedAttempts(view)));
        AssertCrowdVerdict(SubmissionOf(view, first.Id), "rejected", "reject", reviewer.Id, "it is a cat");
        AssertCrowdVerdict(await ListedSubmissionAsync(owner.Client, projectId, "rejected", "t-0", first.Id), "rejected", "reject", reviewer.Id, "it is a cat");
        var rejected = await events.WaitForEventAsync("submission.rejected", "t-0", first.Id);
        Assert.Equal("crowd", rejected.Json["data"]?["by"]?.GetValue<string>());
        Assert.Equal(new Earnings(0m, 0m, 0m, 0m), await EarningsAsync(first.Id));
        Assert.Empty(await LedgerAsync(Admin, first.Id));

        // The freed slot goes to someone else, never back to the rejected worker.
        await AssertNothingToClaimAsync(first, projectId, "the rejected worker may not lease its task again");
        var again = await ClaimTaskAsync(second, projectId);
        Assert.Equal("t-0", again.TaskId);
        await SubmitOkAsync(second, again, new { label = "dog" });
        await VerdictOkAsync(otherReviewer, await ClaimReviewAsync(otherReviewer, projectId), "reject");

        // The second rejection is the second failed attempt: the task is dead-lettered.
        view = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(("deadLettered", 2), (StateOf(view), FailedAttempts(view)));
        await events.WaitForEventAsync("task.deadLettered", "t-0");
        await AssertNothingToClaimAsync(await CreateWorkerAsync(), projectId, "the task is dead-lettered");
        Assert.Equal([("reviewReward", 0.05m)], (await LedgerAsync(Admin, reviewer.Id)).Select(e => (e.Kind, e.Amount)));
        Assert.Equal([("reviewReward", 0.05m)], (await LedgerAsync(Admin, otherReviewer.Id)).Select(e => (e.Kind, e.Amount)));
        Assert.Equal(new Earnings(0m, 0m, 0m, 0m), await EarningsAsync(second.Id));
        var counts = (await GetProjectAsync(owner.Client, projectId))["counts"]!;
        Assert.Equal((1, 0, 0, 1), (counts["total"]!.GetValue<int>(), counts["open"]!.GetValue<int>(), counts["completed"]!.GetValue<int>(), counts["deadLettered"]!.GetValue<int>()));
    }

    [Fact]
    public async Task RequesterVerdict_IsNotReviewable_InCrowdMode_ButTheAdminMayDecide()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(reviewReward: 0.05m, extra: "\"reward\":0.25"), SmallTasks(1, "t"));
        var labeller = await CreateWorkerAsync();
        var events = await EventsAsync(owner.Client, projectId);
        await using var _ = events;
        await LabelAsync(labeller, projectId, new { label = "cat" });

        (await RequesterVerdictAsync(owner.Client, projectId, "t-0", labeller.Id, "accept")).IsProblem(HttpStatusCode.Conflict, "not-reviewable");
        (await RequesterVerdictAsync(owner.Client, projectId, "t-0", labeller.Id, "reject")).IsProblem(HttpStatusCode.Conflict, "not-reviewable");
        Assert.Equal("pending", StateOf(SubmissionOf(await GetTaskAsync(owner.Client, projectId, "t-0"), labeller.Id)));

        var decided = (await RequesterVerdictAsync(Admin, projectId, "t-0", labeller.Id, "accept")).Is(HttpStatusCode.OK);
        Assert.Equal(("accepted", "accept", "admin"), (StateOf(decided), decided["review"]!["verdict"]!.GetValue<string>(), decided["review"]!["by"]!.GetValue<string>()));
        var accepted = await events.WaitForEventAsync("submission.accepted", "t-0", labeller.Id);
        Assert.Equal("admin", accepted.Json["data"]?["by"]?.GetValue<string>());
        Assert.Equal("completed", StateOf(await GetTaskAsync(owner.Client, projectId, "t-0")));
        Assert.Equal(new Earnings(0.25m, 0m, 0m, 0.25m), await EarningsAsync(labeller.Id));

        // Decided, the submission is no review item any more, and the owner still may not give a verdict.
        await AssertNothingToClaimAsync(await CreateWorkerAsync(), projectId, "the only submission was decided by the admin");
        (await RequesterVerdictAsync(owner.Client, projectId, "t-0", labeller.Id, "accept")).IsProblem(HttpStatusCode.Conflict, "not-reviewable");
    }

    /// <summary>
    /// A one-task project whose only submission is a review item leased by <c>holder</c>; <c>next</c>, another
    /// eligible reviewer, finds nothing while it is leased.
    /// </summary>
    private async Task<(Requester Owner, string ProjectId, Worker Labeller, Worker Holder, Worker Next, ReviewLease Lease)> OneItemLeasedAsync(int leaseSeconds)
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(extra: $"\"leaseSeconds\":{leaseSeconds}"), SmallTasks(1, "t"));
        var labeller = await CreateWorkerAsync();
        var holder = await CreateWorkerAsync();
        var next = await CreateWorkerAsync();
        await LabelAsync(labeller, projectId, new { label = "cat" });
        var lease = await ClaimReviewAsync(holder, projectId);
        await AssertNothingToClaimAsync(next, projectId, "the only item is leased");
        return (owner, projectId, labeller, holder, next, lease);
    }

    [Fact]
    public async Task ReviewLease_Heartbeat_Extends_Release_FreesTheItemForAnotherReviewer_NeverForTheSameOne()
    {
        var (owner, projectId, labeller, quitter, next, lease) = await OneItemLeasedAsync(leaseSeconds: 100);

        var before = DateTimeOffset.UtcNow;
        var extended = (await HeartbeatAsync(quitter, lease.LeaseId, extendSeconds: 1000)).Is(HttpStatusCode.OK);
        Assert.Equal(lease.LeaseId, extended["leaseId"]?.GetValue<string>());
        Assert.InRange(ApiAssert.IsUtcTimestamp(extended["expiresAt"], "expiresAt"), before.AddSeconds(1000) - ClockSlack, DateTimeOffset.UtcNow.AddSeconds(1000) + ClockSlack);

        (await ReleaseAsync(quitter, lease.LeaseId, "not sure")).Is(HttpStatusCode.OK);
        (await HeartbeatAsync(quitter, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        (await VerdictAsync(quitter, lease.LeaseId, "accept")).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        Assert.Empty(await ActiveLeasesAsync(quitter));
        await AssertNothingToClaimAsync(quitter, projectId, "a reviewer never leases the same item twice");

        var taken = await ClaimReviewAsync(next, projectId);
        Assert.Equal(lease.TaskId, taken.TaskId);
        Assert.True(JsonNode.DeepEquals(lease.Result, taken.Result), taken.Body.ToJsonString());
        await VerdictOkAsync(next, taken, "accept");
        AssertCrowdVerdict(SubmissionOf(await GetTaskAsync(owner.Client, projectId, "t-0"), labeller.Id), "accepted", "accept", next.Id, comment: null);
    }

    [Fact]
    public async Task ReviewLease_ExpiresAtItsDeadline_AndTheItemGoesToAnotherReviewer()
    {
        var (owner, projectId, labeller, slow, next, lease) = await OneItemLeasedAsync(leaseSeconds: 2);

        // Within a second after the deadline the item is free again, for anyone but the one who let it expire.
        await WaitUntilAsync(lease.ExpiresAt, TimeSpan.FromSeconds(1.3));
        (await VerdictAsync(slow, lease.LeaseId, "accept")).IsProblem(HttpStatusCode.Conflict, "lease-expired");
        (await HeartbeatAsync(slow, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-expired");
        await AssertNothingToClaimAsync(slow, projectId, "a reviewer never leases the same item twice");
        var taken = await ClaimReviewAsync(next, projectId);
        Assert.Equal(lease.TaskId, taken.TaskId);
        await VerdictOkAsync(next, taken, "reject");
        AssertCrowdVerdict(SubmissionOf(await GetTaskAsync(owner.Client, projectId, "t-0"), labeller.Id), "rejected", "reject", next.Id, comment: null);
    }

    [Fact]
    public async Task ReviewLeases_CountTowardMaxActiveLeases()
    {
        var (_, projectId, _) = await CreateProjectWithTasksAsync(OneTaskAtATime(), SmallTasks(2, "t"));
        await LabelAsync(await CreateWorkerAsync(), projectId, new { label = "cat" });
        var id = NewId("one");
        var single = await CreateWorkerAsync(id, new { id, maxActiveLeases = 1 });

        var held = await ClaimReviewAsync(single, projectId);
        (await ClaimAsync(single, projectId)).IsProblem(HttpStatusCode.Conflict, "conflict");

        // A refused verdict leaves the lease active, so it still counts.
        (await single.Client.PostApiAsync(LeasePath(single.Id, held.LeaseId, "submit"), """{"result":{"verdict":"maybe"}}""")).IsValidationProblem();
        (await ClaimAsync(single, projectId)).IsProblem(HttpStatusCode.Conflict, "conflict");
        await VerdictOkAsync(single, held, "accept");
        await ClaimTaskAsync(single, projectId);
    }
}

/// <summary>Crowd review rules on in-memory storage.</summary>
public sealed class CrowdReviewRulesTests_Memory(MemoryApiHost host) : CrowdReviewRulesTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Crowd review rules on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CrowdReviewRulesTests_Postgres(PostgresServer postgres, PostgresApiHost host) : CrowdReviewRulesTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
