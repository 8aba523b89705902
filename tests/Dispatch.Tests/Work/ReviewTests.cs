using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// Requester-mode review over HTTP (docs/api.md, Review): submissions stored pending hold their slot, the owner accepts
/// or rejects them, a rejection offers the task to someone else and counts as a failed attempt, and a submission pending
/// for <c>autoAcceptSeconds</c> is accepted by itself.
/// </summary>
public abstract class ReviewTests : WorkTestBase
{
    private const string RequesterReview = """{"review":{"mode":"requester"}""";

    private static string ReviewPath(string projectId, string taskId, string workerId) =>
        $"{TaskPath(projectId, taskId)}/submissions/{Segment(workerId)}/review";

    private static string SubmissionsPath(string projectId, string? query = null) =>
        $"{ProjectPath(projectId)}/submissions{(query is null ? "" : "?" + query)}";

    private static Task<ApiResponse> ReviewAsync(HttpClient client, string projectId, string taskId, string workerId, string verdict, string? comment = null) =>
        client.PostApiAsync(ReviewPath(projectId, taskId, workerId), comment is null ? new { verdict } : new { verdict, comment });

    private static async Task<SseReader> OpenEventsAsync(Requester owner, string projectId)
    {
        var (events, refusal) = await SseReader.OpenAsync(owner.Client, $"{ProjectPath(projectId)}/events");
        Assert.True(events is not null, $"the owner could not open the events of {projectId}: {refusal}");
        return events;
    }

    private static JsonNode SubmissionOf(JsonNode task, string workerId) =>
        task["submissions"]!.AsArray().Single(s => s!["workerId"]!.GetValue<string>() == workerId)!;

    [Fact]
    public async Task Rejection_OffersTheTaskToAnotherWorkerOnly_AndCountsTowardMaxAttempts()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(RequesterReview + ""","overlap":1,"maxAttempts":2}""", SmallTasks(1, "t"));
        var w1 = await CreateWorkerAsync();
        var w2 = await CreateWorkerAsync();
        var w3 = await CreateWorkerAsync();

        var first = await ClaimLeaseAsync(w1, projectId);
        Assert.Equal("open", await SubmitOkAsync(w1, first, new { label = "cat" }));
        var pending = SubmissionOf(await GetTaskAsync(owner.Client, projectId, "t-0"), w1.Id);
        Assert.Equal("pending", StateOf(pending));
        Assert.Null(pending["review"]);

        // The pending submission holds the only slot.
        (await ClaimAsync(w2, projectId)).IsEmpty(HttpStatusCode.NoContent);

        var rejected = (await ReviewAsync(owner.Client, projectId, "t-0", w1.Id, "reject", "not a cat")).Is(HttpStatusCode.OK);
        Assert.Equal((projectId, "t-0", w1.Id, "rejected"), (rejected["projectId"]!.GetValue<string>(), rejected["taskId"]!.GetValue<string>(), rejected["workerId"]!.GetValue<string>(), StateOf(rejected)));
        Assert.Equal("cat", rejected["result"]!["label"]!.GetValue<string>());
        Assert.Equal(("reject", "requester", "not a cat"), (rejected["review"]!["verdict"]!.GetValue<string>(), rejected["review"]!["by"]!.GetValue<string>(), rejected["review"]!["comment"]!.GetValue<string>()));
        var task = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(1, FailedAttempts(task));
        Assert.Equal("rejected", StateOf(SubmissionOf(task, w1.Id)));

        // Offered again, never to the rejected worker.
        (await ClaimAsync(w1, projectId)).IsEmpty(HttpStatusCode.NoContent);
        var second = await ClaimLeaseAsync(w2, projectId);
        Assert.Equal("t-0", second.TaskId);
        await SubmitOkAsync(w2, second);
        (await ReviewAsync(owner.Client, projectId, "t-0", w2.Id, "reject")).Is(HttpStatusCode.OK);

        // The second rejection is the second failed attempt: the task is dead-lettered.
        task = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(("deadLettered", 2), (StateOf(task), FailedAttempts(task)));
        (await ClaimAsync(w3, projectId)).IsEmpty(HttpStatusCode.NoContent);
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 0, completed: 0, deadLettered: 1, activeLeases: 0, submissions: 2);
    }

    [Fact]
    public async Task Rejection_WakesAClaimWaitingForWork()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(RequesterReview + ""","overlap":1}""", SmallTasks(1, "t"));
        var w1 = await CreateWorkerAsync();
        var w2 = await CreateWorkerAsync();
        await SubmitOkAsync(w1, await ClaimLeaseAsync(w1, projectId));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var waiting = ClaimAsync(w2, projectId, waitSeconds: 15);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(waiting.IsCompleted, "the claim answered while the only slot was held by a pending submission");
        (await ReviewAsync(owner.Client, projectId, "t-0", w1.Id, "reject")).Is(HttpStatusCode.OK);

        var lease = ToLease(await waiting, projectId);
        Assert.Equal("t-0", lease.TaskId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the waiting claim was answered only after {clock.Elapsed}");
    }

    [Fact]
    public async Task Overlap_CountsPendingAndAccepted_AndCompletesAtOverlapAccepted()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(RequesterReview + ""","overlap":2}""", SmallTasks(1, "t"));
        var w1 = await CreateWorkerAsync();
        var w2 = await CreateWorkerAsync();
        var w3 = await CreateWorkerAsync();

        await SubmitOkAsync(w1, await ClaimLeaseAsync(w1, projectId), "a");
        await SubmitOkAsync(w2, await ClaimLeaseAsync(w2, projectId), "b");
        (await ClaimAsync(w3, projectId)).IsEmpty(HttpStatusCode.NoContent);

        (await ReviewAsync(owner.Client, projectId, "t-0", w1.Id, "accept")).Is(HttpStatusCode.OK);
        (await ClaimAsync(w3, projectId)).IsEmpty(HttpStatusCode.NoContent);
        Assert.Equal("open", StateOf(await GetTaskAsync(owner.Client, projectId, "t-0")));

        // A rejection frees one slot; the accepted and the next submission complete the task.
        (await ReviewAsync(owner.Client, projectId, "t-0", w2.Id, "reject")).Is(HttpStatusCode.OK);
        var third = await ClaimLeaseAsync(w3, projectId);
        Assert.Equal("open", await SubmitOkAsync(w3, third, "c"));
        var byAdmin = (await ReviewAsync(Admin, projectId, "t-0", w3.Id, "accept")).Is(HttpStatusCode.OK);
        Assert.Equal("admin", byAdmin["review"]!["by"]!.GetValue<string>());
        Assert.Equal("completed", StateOf(await GetTaskAsync(owner.Client, projectId, "t-0")));

        // The results export lists the completed task with its accepted submissions only.
        var results = (await owner.Client.GetApiAsync($"{ProjectPath(projectId)}/results")).Is(HttpStatusCode.OK);
        var item = Assert.Single(results["items"]!.AsArray())!;
        Assert.Equal(
            new[] { (w1.Id, "accepted"), (w3.Id, "accepted") }.OrderBy(x => x.Item1),
            item["submissions"]!.AsArray().Select(s => (s!["workerId"]!.GetValue<string>(), StateOf(s))).OrderBy(x => x.Item1));
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 0, completed: 1, deadLettered: 0, activeLeases: 0, submissions: 3);
    }

    [Fact]
    public async Task Verdict_SameAgainChangesNothing_OtherIsNotReviewable_UnknownIsNotFound()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(RequesterReview + ""","overlap":2}""", SmallTasks(1, "t"));
        var w1 = await CreateWorkerAsync();
        await SubmitOkAsync(w1, await ClaimLeaseAsync(w1, projectId));

        var accepted = (await ReviewAsync(owner.Client, projectId, "t-0", w1.Id, "accept", "fine")).Is(HttpStatusCode.OK);
        var again = (await ReviewAsync(owner.Client, projectId, "t-0", w1.Id, "accept")).Is(HttpStatusCode.OK);
        var byAdmin = (await ReviewAsync(Admin, projectId, "t-0", w1.Id, "accept")).Is(HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(accepted["review"], again["review"]), again.ToJsonString());
        Assert.True(JsonNode.DeepEquals(accepted["review"], byAdmin["review"]), byAdmin.ToJsonString());
        Assert.Equal("requester", byAdmin["review"]!["by"]!.GetValue<string>());

        (await ReviewAsync(owner.Client, projectId, "t-0", w1.Id, "reject")).IsProblem(HttpStatusCode.Conflict, "not-reviewable");
        Assert.Equal("accepted", StateOf(SubmissionOf(await GetTaskAsync(owner.Client, projectId, "t-0"), w1.Id)));

        (await ReviewAsync(owner.Client, projectId, "t-0", "nobody", "accept")).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await ReviewAsync(owner.Client, projectId, "missing", w1.Id, "accept")).IsProblem(HttpStatusCode.NotFound, "not-found");
        (await ReviewAsync(owner.Client, projectId, "t-0", w1.Id, "maybe")).IsValidationProblem("verdict");

        // Another requester does not see the project at all.
        var stranger = await CreateRequesterAsync();
        (await ReviewAsync(stranger.Client, projectId, "t-0", w1.Id, "accept")).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Listing_ByState_PagesOldestFirst()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(RequesterReview + "}", SmallTasks(5, "t"));
        var workers = new List<Worker>();
        foreach (var i in Enumerable.Range(0, 5))
        {
            var worker = await CreateWorkerAsync();
            workers.Add(worker);
            var lease = await ClaimLeaseAsync(worker, projectId);
            await SubmitOkAsync(worker, lease, i);
        }

        var pages = new List<JsonNode>();
        string? next = null;
        do
        {
            var page = (await owner.Client.GetApiAsync(SubmissionsPath(projectId, $"state=pending&limit=2{(next is null ? "" : "&after=" + Uri.EscapeDataString(next))}"))).Is(HttpStatusCode.OK);
            pages.Add(page);
            next = page["next"]?.GetValue<string>();
        }
        while (next is not null && pages.Count < 10);

        Assert.Equal([2, 2, 1], pages.Select(p => p["items"]!.AsArray().Count));
        var listed = pages.SelectMany(p => p["items"]!.AsArray()).ToList();
        Assert.Equal(workers.Select(w => w.Id), listed.Select(s => s!["workerId"]!.GetValue<string>()));
        Assert.All(listed, s => Assert.Equal(("pending", projectId), (StateOf(s!), s!["projectId"]!.GetValue<string>())));
        var times = listed.Select(s => ApiAssert.IsUtcTimestamp(s!["submittedAt"], "submittedAt")).ToList();
        Assert.Equal(times.Order(), times);

        var taskOf = listed.ToDictionary(s => s!["workerId"]!.GetValue<string>(), s => s!["taskId"]!.GetValue<string>());
        (await ReviewAsync(owner.Client, projectId, taskOf[workers[3].Id], workers[3].Id, "accept")).Is(HttpStatusCode.OK);
        (await ReviewAsync(owner.Client, projectId, taskOf[workers[1].Id], workers[1].Id, "accept")).Is(HttpStatusCode.OK);
        (await ReviewAsync(owner.Client, projectId, taskOf[workers[2].Id], workers[2].Id, "reject")).Is(HttpStatusCode.OK);

        var acceptedPage = (await owner.Client.GetApiAsync(SubmissionsPath(projectId, "state=accepted"))).Is(HttpStatusCode.OK);
        Assert.Equal([workers[1].Id, workers[3].Id], acceptedPage["items"]!.AsArray().Select(s => s!["workerId"]!.GetValue<string>()));
        Assert.Null(acceptedPage["next"]);
        var rejectedPage = (await owner.Client.GetApiAsync(SubmissionsPath(projectId, "state=rejected"))).Is(HttpStatusCode.OK);
        Assert.Equal([workers[2].Id], rejectedPage["items"]!.AsArray().Select(s => s!["workerId"]!.GetValue<string>()));
        var pendingPage = (await owner.Client.GetApiAsync(SubmissionsPath(projectId))).Is(HttpStatusCode.OK);
        Assert.Equal([workers[0].Id, workers[4].Id], pendingPage["items"]!.AsArray().Select(s => s!["workerId"]!.GetValue<string>()));

        (await owner.Client.GetApiAsync(SubmissionsPath(projectId, "state=done"))).IsValidationProblem("state");
        (await owner.Client.GetApiAsync(SubmissionsPath(projectId, "after=garbage"))).IsValidationProblem("after");
        (await owner.Client.GetApiAsync(SubmissionsPath(projectId, "limit=0"))).IsValidationProblem("limit");
    }

    [Fact]
    public async Task Events_TellVerdictsWithTheirAuthor_AndProjectsWithoutReviewGetNone()
    {
        var owner = await CreateRequesterAsync();
        var reviewed = await CreateProjectAsync(owner.Client, RequesterReview + ""","overlap":1}""");
        var plain = await CreateProjectAsync(owner.Client, """{"overlap":1}""");
        await ImportAsync(owner.Client, reviewed, SmallTasks(2, "t"));
        await ImportAsync(owner.Client, plain, SmallTasks(1, "p"));
        var w1 = await CreateWorkerAsync();
        var w2 = await CreateWorkerAsync();
        var events = await OpenEventsAsync(owner, reviewed);
        await using var _ = events;
        var plainEvents = await OpenEventsAsync(owner, plain);
        await using var __ = plainEvents;

        var a = await ClaimLeaseAsync(w1, reviewed);
        await SubmitOkAsync(w1, a);
        var b = await ClaimLeaseAsync(w2, reviewed);
        await SubmitOkAsync(w2, b);
        (await ReviewAsync(owner.Client, reviewed, a.TaskId, w1.Id, "accept")).Is(HttpStatusCode.OK);
        (await ReviewAsync(Admin, reviewed, b.TaskId, w2.Id, "reject")).Is(HttpStatusCode.OK);

        var accepted = await events.WaitForEventAsync("submission.accepted", a.TaskId, w1.Id);
        Assert.Equal("requester", accepted.Json["data"]?["by"]?.GetValue<string>());
        await events.WaitForEventAsync("task.completed", a.TaskId);
        var rejected = await events.WaitForEventAsync("submission.rejected", b.TaskId, w2.Id);
        Assert.Equal("admin", rejected.Json["data"]?["by"]?.GetValue<string>());

        var plainLease = await ClaimLeaseAsync(w1, plain);
        await SubmitOkAsync(w1, plainLease);
        await plainEvents.WaitForEventAsync("task.completed", plainLease.TaskId);
        await Task.Delay(300);
        Assert.DoesNotContain(plainEvents.Frames, f => f.Event?.StartsWith("submission.", StringComparison.Ordinal) == true);
        Assert.Equal("accepted", StateOf(SubmissionOf(await GetTaskAsync(owner.Client, plain, plainLease.TaskId), w1.Id)));
        Assert.Null(SubmissionOf(await GetTaskAsync(owner.Client, plain, plainLease.TaskId), w1.Id)["review"]);
    }

    [Fact]
    public async Task Stats_CountVerdicts_AndLowAcceptanceSuspendsTheSkill()
    {
        var skill = NewId("skill");
        var (owner, projectId, _) = await CreateProjectWithTasksAsync(
            $$$"""{"review":{"mode":"requester"},"requirements":[{"skill":"{{{skill}}}","minLevel":1}],"quality":{"minGolden":2,"minAccuracy":0,"minAcceptance":0.6}}""",
            SmallTasks(3, "t"));
        var worker = await CreateWorkerAsync();
        (await Admin.PutApiAsync(CertificationPath(worker.Id, skill), new { level = 1 })).Is(HttpStatusCode.OK);
        var events = await OpenEventsAsync(owner, projectId);
        await using var _ = events;

        var first = await ClaimLeaseAsync(worker, projectId);
        await SubmitOkAsync(worker, first);
        var second = await ClaimLeaseAsync(worker, projectId);
        await SubmitOkAsync(worker, second);

        (await ReviewAsync(owner.Client, projectId, first.TaskId, worker.Id, "accept")).Is(HttpStatusCode.OK);
        var view = await GetWorkerAsync(Admin, worker.Id);
        Assert.Equal((2, 1, 0), (view["stats"]!["submitted"]!.GetValue<int>(), view["stats"]!["accepted"]!.GetValue<int>(), view["stats"]!["rejected"]!.GetValue<int>()));
        Assert.False(view["certifications"]![0]!["suspended"]!.GetValue<bool>());

        // Two reviewed, half accepted: below 0.6, so the certification is suspended and no more work needing it is served.
        (await ReviewAsync(owner.Client, projectId, second.TaskId, worker.Id, "reject")).Is(HttpStatusCode.OK);
        view = await EventuallyAsync(
            () => GetWorkerAsync(Admin, worker.Id),
            v => v["certifications"]![0]!["suspended"]!.GetValue<bool>(),
            TimeSpan.FromSeconds(5),
            "suspension");
        Assert.Equal((1, 1), (view["stats"]!["accepted"]!.GetValue<int>(), view["stats"]!["rejected"]!.GetValue<int>()));
        var suspended = await events.WaitForEventAsync("worker.suspended", workerId: worker.Id);
        Assert.Equal(skill, suspended.Json["data"]?["skill"]?.GetValue<string>());
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task ReviewSetting_IsValidated_StoresNothingWhenBad_AndIsEchoedWithDefaults()
    {
        var owner = await CreateRequesterAsync();
        foreach (var (review, field) in new[]
        {
            ("""{"mode":"crowd","requirements":[{"skill":"tagging","minLevel":0}]}""", "review.requirements[0].minLevel"),
            ("""{"mode":"crowd","reward":1000000.5}""", "review.reward"),
            ("""{"mode":"everyone"}""", "review.mode"),
            ("""{}""", "review.mode"),
            ("""{"mode":"requester","autoAcceptSeconds":0}""", "review.autoAcceptSeconds"),
            ("""{"mode":"requester","autoAcceptSeconds":2592001}""", "review.autoAcceptSeconds"),
            ("""{"mode":"requester","reward":-1}""", "review.reward"),
            ("""{"mode":"requester","reward":0.00001}""", "review.reward"),
            ("""{"mode":"requester","requirements":[{"skill":"bad skill!","minLevel":1}]}""", "review.requirements[0].skill"),
        })
        {
            var id = NewId("prj");
            var body = With(ProjectBody(id), $$"""{"review":{{review}}}""");
            (await owner.Client.PostApiAsync("/v1/projects", body)).IsValidationProblem(field);
            (await owner.Client.GetApiAsync(ProjectPath(id))).IsProblem(HttpStatusCode.NotFound, "not-found");
        }

        var badQuality = With(ProjectBody(NewId("prj")), """{"quality":{"minGolden":1,"minAccuracy":0.5,"minAcceptance":1.5}}""");
        (await owner.Client.PostApiAsync("/v1/projects", badQuality)).IsValidationProblem("quality.minAcceptance");

        var created = await CreateProjectAsync(owner.Client, With(ProjectBody(NewId("prj")), """{"review":{"mode":"requester"}}"""));
        var projectId = created["id"]!.GetValue<string>();
        Assert.Equal(("requester", 259200, 0m), (created["review"]!["mode"]!.GetValue<string>(), created["review"]!["autoAcceptSeconds"]!.GetValue<int>(), created["review"]!["reward"]!.GetValue<decimal>()));

        var plain = await CreateProjectAsync(owner.Client);
        Assert.Null((await GetProjectAsync(owner.Client, plain))["review"]);
        (await owner.Client.PatchApiAsync(ProjectPath(plain), JsonNode.Parse("""{"review":{"mode":"crowd","autoAcceptSeconds":0},"priority":7}"""))).IsValidationProblem("review.autoAcceptSeconds");
        var unchanged = await GetProjectAsync(owner.Client, plain);
        Assert.Null(unchanged["review"]);
        Assert.Equal(0, unchanged["priority"]!.GetValue<int>());

        var patched = (await owner.Client.PatchApiAsync(ProjectPath(plain), JsonNode.Parse("""{"review":{"mode":"requester","autoAcceptSeconds":60}}"""))).Is(HttpStatusCode.OK);
        Assert.Equal(60, patched["review"]!["autoAcceptSeconds"]!.GetValue<int>());
        Assert.Equal(60, (await GetProjectAsync(owner.Client, plain))["review"]!["autoAcceptSeconds"]!.GetValue<int>());
        Assert.Equal(259200, (await GetProjectAsync(owner.Client, projectId))["review"]!["autoAcceptSeconds"]!.GetValue<int>());
    }

    [Fact]
    public async Task AutoAccept_AcceptsAPendingSubmissionOnTime()
    {
        var (owner, projectId, _) = await CreateProjectWithTasksAsync("""{"review":{"mode":"requester","autoAcceptSeconds":2}}""", SmallTasks(2, "t"));
        var w1 = await CreateWorkerAsync();
        var events = await OpenEventsAsync(owner, projectId);
        await using var _ = events;

        var lease = await ClaimLeaseAsync(w1, projectId);
        await SubmitOkAsync(w1, lease);
        var submittedAt = ApiAssert.IsUtcTimestamp(SubmissionOf(await GetTaskAsync(owner.Client, projectId, lease.TaskId), w1.Id)["submittedAt"], "submittedAt");
        Assert.Equal("pending", StateOf(SubmissionOf(await GetTaskAsync(owner.Client, projectId, lease.TaskId), w1.Id)));

        var task = await EventuallyAsync(
            () => GetTaskAsync(owner.Client, projectId, lease.TaskId),
            t => StateOf(t) == "completed",
            TimeSpan.FromSeconds(8),
            "auto-accept");
        var review = SubmissionOf(task, w1.Id)["review"]!;
        Assert.Equal(("accept", "auto"), (review["verdict"]!.GetValue<string>(), review["by"]!.GetValue<string>()));
        var at = ApiAssert.IsUtcTimestamp(review["at"], "review.at");
        var due = submittedAt + TimeSpan.FromSeconds(2);
        Assert.True(at >= due - TimeSpan.FromMilliseconds(1) && at <= due + TimeSpan.FromSeconds(2), $"accepted at {at:O}, due {due:O}");
        var accepted = await events.WaitForEventAsync("submission.accepted", lease.TaskId, w1.Id);
        Assert.Equal("auto", accepted.Json["data"]?["by"]?.GetValue<string>());

        // An auto-accepted submission takes the same verdict again unchanged, and the other one not at all.
        var again = (await ReviewAsync(owner.Client, projectId, lease.TaskId, w1.Id, "accept")).Is(HttpStatusCode.OK);
        Assert.Equal("auto", again["review"]!["by"]!.GetValue<string>());
        (await ReviewAsync(owner.Client, projectId, lease.TaskId, w1.Id, "reject")).IsProblem(HttpStatusCode.Conflict, "not-reviewable");
    }
}

/// <summary>Review on in-memory storage.</summary>
public sealed class ReviewTests_Memory(MemoryApiHost host) : ReviewTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>Review on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ReviewTests_Postgres(PostgresServer postgres, PostgresApiHost host) : ReviewTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
