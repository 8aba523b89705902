using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// The Work section of docs/api.md, rule by rule: claim, heartbeat, submit and release with their statuses and problem
/// types, overlap, <c>maxActiveLeases</c>, blocked workers, paused and closed projects, who may act for a worker,
/// task ordering, project counts and worker earnings.
/// </summary>
public abstract class LeaseRulesTests : WorkTestBase
{
    // ---------------------------------------------------------------- claim

    [Fact]
    public async Task Claim_Is201WithLeaseIdPayloadInstructionsLabelConfigAndExpiry()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """
            {"instructions":"Pick the right label.","labelConfig":"<View><Image name=\"i\" value=\"$img\"/></View>","leaseSeconds":120}
            """);
        await ImportAsync(owner.Client, projectId, """[{"id":"only","payload":{"img":"a.png","sizes":[1,2],"n":null}}]""");
        var worker = await CreateWorkerAsync();

        var before = DateTimeOffset.UtcNow;
        var response = await ClaimAsync(worker, projectId);
        var after = DateTimeOffset.UtcNow;

        var lease = ToLease(response, projectId);
        Assert.Equal("only", lease.TaskId);
        Assert.Equal("task", lease.Body["kind"]?.GetValue<string>());
        Assert.Null(lease.Body["review"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"img":"a.png","sizes":[1,2],"n":null}"""), lease.Body["payload"]), response.ToString());
        Assert.Equal("Pick the right label.", lease.Body["instructions"]?.GetValue<string>());
        Assert.Equal("<View><Image name=\"i\" value=\"$img\"/></View>", lease.Body["labelConfig"]?.GetValue<string>());
        AssertAbout(before.AddSeconds(120), after.AddSeconds(120), lease.ExpiresAt, response.ToString());

        var view = await GetTaskAsync(owner.Client, projectId, "only");
        var stored = LeaseOf(view, lease.LeaseId);
        Assert.Equal("active", StateOf(stored));
        Assert.Equal(worker.Id, stored["workerId"]!.GetValue<string>());
        AssertSameInstant(lease.ExpiresAt, ApiAssert.IsUtcTimestamp(stored["expiresAt"], "expiresAt"));
        AssertAbout(before, after, ApiAssert.IsUtcTimestamp(stored["leasedAt"], "leasedAt"), view.ToJsonString());
    }

    [Fact]
    public async Task Claim_WithEmptyBodyOrEmptyObject_Is201()
    {
        // A skill of its own at the highest level, so that routing without a project picks this project first.
        var skill = NewId("skill");
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, $$"""{"requirements":[{"skill":"{{skill}}","minLevel":100}]}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(2, "t"));
        var worker = await CreateWorkerAsync();
        (await Admin.PutApiAsync(CertificationPath(worker.Id, skill), new { level = 100 })).Is(HttpStatusCode.OK);

        var first = ToLease(await worker.Client.SendApiAsync(HttpMethod.Post, LeasesPath(worker.Id), body: null), projectId);
        var second = ToLease(await worker.Client.PostApiAsync(LeasesPath(worker.Id), "{}"), projectId);

        Assert.Equal(new[] { "t-0", "t-1" }, new[] { first.TaskId, second.TaskId });
        Assert.NotEqual(first.LeaseId, second.LeaseId);
    }

    [Fact]
    public async Task Claim_WhenNothingFits_Is204WithoutBody()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        var worker = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();

        (await ClaimAsync(worker, projectId)).IsEmpty(HttpStatusCode.NoContent);

        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var lease = await ClaimLeaseAsync(worker, projectId);
        (await ClaimAsync(other, projectId)).IsEmpty(HttpStatusCode.NoContent);

        Assert.Equal("completed", await SubmitOkAsync(worker, lease));
        (await ClaimAsync(other, projectId)).IsEmpty(HttpStatusCode.NoContent);
        (await ClaimAsync(worker, projectId)).IsEmpty(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(21)]
    public async Task Claim_WithWaitSecondsOutOfRange_Is400Validation(int waitSeconds)
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(1));
        var worker = await CreateWorkerAsync();

        (await ClaimAsync(worker, projectId, waitSeconds)).IsValidationProblem("waitSeconds");
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 1);
    }

    [Fact]
    public async Task Claim_OfUnknownProject_Is404NotFound()
    {
        var worker = await CreateWorkerAsync();

        (await ClaimAsync(worker, NewId("missing"))).IsProblem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Claim_OfProjectWhoseRequirementsAreUnmet_Is403Forbidden()
    {
        var skill = NewId("skill");
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, $$"""{"requirements":[{"skill":"{{skill}}","minLevel":3}]}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1));
        var uncertified = await CreateWorkerAsync();
        var tooLow = await CreateWorkerAsync();
        (await Admin.PutApiAsync(CertificationPath(tooLow.Id, skill), new { level = 2 })).Is(HttpStatusCode.OK);
        var enough = await CreateWorkerAsync();
        (await Admin.PutApiAsync(CertificationPath(enough.Id, skill), new { level = 3 })).Is(HttpStatusCode.OK);

        (await ClaimAsync(uncertified, projectId)).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await ClaimAsync(tooLow, projectId)).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 1);
        await ClaimLeaseAsync(enough, projectId);
    }

    // ---------------------------------------------------------------- heartbeat

    [Fact]
    public async Task Heartbeat_SetsExpiryToNowPlusExtendSeconds_OrPlusLeaseSecondsByDefault()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"leaseSeconds":100}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var worker = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);

        var before = DateTimeOffset.UtcNow;
        var extended = await HeartbeatAsync(worker, lease.LeaseId, extendSeconds: 1000);
        var after = DateTimeOffset.UtcNow;
        var body = extended.Is(HttpStatusCode.OK);
        Assert.Equal(lease.LeaseId, body["leaseId"]?.GetValue<string>());
        var expiresAt = ApiAssert.IsUtcTimestamp(body["expiresAt"], "expiresAt");
        AssertAbout(before.AddSeconds(1000), after.AddSeconds(1000), expiresAt, extended.ToString());
        AssertSameInstant(expiresAt, ApiAssert.IsUtcTimestamp(LeaseOf(await GetTaskAsync(owner.Client, projectId, "t-0"), lease.LeaseId)["expiresAt"], "expiresAt"));

        // Without extendSeconds: now + the project's leaseSeconds, with an empty object and with no body at all.
        foreach (var noExtend in new object?[] { new { }, null })
        {
            before = DateTimeOffset.UtcNow;
            var plain = await worker.Client.SendApiAsync(HttpMethod.Post, LeasePath(worker.Id, lease.LeaseId, "heartbeat"), noExtend);
            after = DateTimeOffset.UtcNow;
            expiresAt = ApiAssert.IsUtcTimestamp(plain.Is(HttpStatusCode.OK)["expiresAt"], "expiresAt");
            AssertAbout(before.AddSeconds(100), after.AddSeconds(100), expiresAt, plain.ToString());
        }

        var listed = (await worker.Client.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray().Single()!;
        AssertSameInstant(expiresAt, ApiAssert.IsUtcTimestamp(listed["expiresAt"], "expiresAt"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(86401)]
    public async Task Heartbeat_WithExtendSecondsOutOfRange_Is400Validation(int extendSeconds)
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"leaseSeconds":100}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var worker = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);

        (await HeartbeatAsync(worker, lease.LeaseId, extendSeconds)).IsValidationProblem("extendSeconds");

        var stored = LeaseOf(await GetTaskAsync(owner.Client, projectId, "t-0"), lease.LeaseId);
        Assert.Equal("active", StateOf(stored));
        AssertSameInstant(lease.ExpiresAt, ApiAssert.IsUtcTimestamp(stored["expiresAt"], "expiresAt"));
    }

    // ---------------------------------------------------------------- submit

    [Fact]
    public async Task Submit_Is200WithTaskIdAndState_AndCompletesTheTaskAtOverlap()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"overlap":2}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var first = await CreateWorkerAsync();
        var second = await CreateWorkerAsync();
        var third = await CreateWorkerAsync();
        var firstLease = await ClaimLeaseAsync(first, projectId);
        var secondLease = await ClaimLeaseAsync(second, projectId);
        Assert.Equal("t-0", secondLease.TaskId);

        var submitted = (await SubmitJsonAsync(first.Client, first.Id, firstLease.LeaseId, """{"label":"cat","score":0.5,"tags":["a",null]}"""))
            .Is(HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"taskId":"t-0","taskState":"open"}"""), submitted), submitted.ToJsonString());
        var completed = (await SubmitJsonAsync(second.Client, second.Id, secondLease.LeaseId, "42")).Is(HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"taskId":"t-0","taskState":"completed"}"""), completed), completed.ToJsonString());

        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal("completed", StateOf(view));
        Assert.Equal("submitted", StateOf(LeaseOf(view, firstLease.LeaseId)));
        Assert.Equal("submitted", StateOf(LeaseOf(view, secondLease.LeaseId)));
        var submissions = view["submissions"]!.AsArray();
        Assert.Equal(2, submissions.Count);
        var byWorker = submissions.ToDictionary(s => s!["workerId"]!.GetValue<string>(), s => s!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"label":"cat","score":0.5,"tags":["a",null]}"""), byWorker[first.Id]["result"]), view.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("42"), byWorker[second.Id]["result"]), view.ToJsonString());
        ApiAssert.IsUtcTimestamp(byWorker[first.Id]["submittedAt"], "submittedAt");

        (await ClaimAsync(third, projectId)).IsEmpty(HttpStatusCode.NoContent);
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 0, completed: 1, submissions: 2);
    }

    [Fact]
    public async Task Submit_Retried_Is409LeaseNotActive_AndStoresNothingMore()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"overlap":2,"reward":0.25}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var worker = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);

        Assert.Equal("open", await SubmitOkAsync(worker, lease, "first"));
        (await SubmitAsync(worker, lease.LeaseId, "first")).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        (await SubmitAsync(worker, lease.LeaseId, "changed")).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        (await HeartbeatAsync(worker, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        (await ReleaseAsync(worker, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");

        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        var submission = Assert.Single(view["submissions"]!.AsArray())!;
        Assert.Equal("first", submission["result"]!.GetValue<string>());
        Assert.Equal("submitted", StateOf(LeaseOf(view, lease.LeaseId)));
        Assert.Equal(0, FailedAttempts(view));
        var workerView = await GetWorkerAsync(Admin, worker.Id);
        Assert.Equal(1, workerView["stats"]!["submitted"]!.GetValue<int>());
        Assert.Equal(0.25m, Decimal(workerView["earnings"]!["total"], "earnings.total"));
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 1, submissions: 1);
        // The same worker may never lease the task again, even though it still needs a submission.
        (await ClaimAsync(worker, projectId)).IsEmpty(HttpStatusCode.NoContent);
    }

    // ---------------------------------------------------------------- release

    [Fact]
    public async Task Release_Is200_CountsAsFailedAttempt_AndFreesTheSlotForOthers()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"maxAttempts":5}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var worker = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);
        (await ClaimAsync(other, projectId)).IsEmpty(HttpStatusCode.NoContent);

        (await ReleaseAsync(worker, lease.LeaseId, "cannot read it")).Is(HttpStatusCode.OK);

        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal("open", StateOf(view));
        Assert.Equal(1, FailedAttempts(view));
        Assert.Equal("released", StateOf(LeaseOf(view, lease.LeaseId)));
        Assert.Empty(view["submissions"]!.AsArray());
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 1);
        Assert.Equal(0, (await GetWorkerAsync(Admin, worker.Id))["activeLeases"]!.GetValue<int>());

        (await SubmitAsync(worker, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        (await HeartbeatAsync(worker, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
        (await ReleaseAsync(worker, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");

        // Never the same worker twice on a task; anyone else may take the freed slot.
        (await ClaimAsync(worker, projectId)).IsEmpty(HttpStatusCode.NoContent);
        var again = await ClaimLeaseAsync(other, projectId);
        Assert.Equal("t-0", again.TaskId);
        Assert.Equal("completed", await SubmitOkAsync(other, again));
        var done = await GetTaskAsync(owner.Client, projectId, "t-0");
        Assert.Equal(other.Id, Assert.Single(done["submissions"]!.AsArray())!["workerId"]!.GetValue<string>());
        await AssertCountsAsync(owner.Client, projectId, total: 1, open: 0, completed: 1, submissions: 1);
    }

    // ---------------------------------------------------------------- overlap

    [Fact]
    public async Task Overlap_NeverMoreActivePlusSubmittedLeasesThanOverlap_AndNeverTheSameWorkerTwice()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"overlap":2}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(1, "t"));
        var w1 = await CreateWorkerAsync();
        var w2 = await CreateWorkerAsync();
        var w3 = await CreateWorkerAsync();
        var w4 = await CreateWorkerAsync();

        var l1 = await ClaimLeaseAsync(w1, projectId);
        (await ClaimAsync(w1, projectId)).IsEmpty(HttpStatusCode.NoContent); // not twice, even while active
        var l2 = await ClaimLeaseAsync(w2, projectId);
        (await ClaimAsync(w3, projectId)).IsEmpty(HttpStatusCode.NoContent); // two active = overlap

        Assert.Equal("open", await SubmitOkAsync(w1, l1));
        (await ClaimAsync(w3, projectId)).IsEmpty(HttpStatusCode.NoContent); // one submitted + one active = overlap

        (await ReleaseAsync(w2, l2.LeaseId)).Is(HttpStatusCode.OK);
        (await ClaimAsync(w2, projectId)).IsEmpty(HttpStatusCode.NoContent); // released, but still never twice
        (await ClaimAsync(w1, projectId)).IsEmpty(HttpStatusCode.NoContent); // submitted: never twice
        var l3 = await ClaimLeaseAsync(w3, projectId);
        Assert.Equal("t-0", l3.TaskId);
        (await ClaimAsync(w4, projectId)).IsEmpty(HttpStatusCode.NoContent);

        Assert.Equal("completed", await SubmitOkAsync(w3, l3));
        (await ClaimAsync(w4, projectId)).IsEmpty(HttpStatusCode.NoContent);

        var view = await GetTaskAsync(owner.Client, projectId, "t-0");
        var leases = view["leases"]!.AsArray();
        Assert.Equal(3, leases.Count);
        Assert.Equal(3, leases.Select(l => l!["workerId"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(new[] { w1.Id, w3.Id }.Order(), view["submissions"]!.AsArray().Select(s => s!["workerId"]!.GetValue<string>()).Order());
    }

    // ---------------------------------------------------------------- maxActiveLeases

    [Fact]
    public async Task Claim_AtMaxActiveLeases_Is409Conflict_UntilALeaseEnds()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(5, "t"));
        var worker = await CreateWorkerWithAsync(maxActiveLeases: 2);

        var a = await ClaimLeaseAsync(worker, projectId);
        var b = await ClaimLeaseAsync(worker, projectId);
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Conflict, "conflict");
        (await ClaimAsync(worker, projectId, waitSeconds: 1)).IsProblem(HttpStatusCode.Conflict, "conflict");
        Assert.Equal(2, (await GetWorkerAsync(Admin, worker.Id))["activeLeases"]!.GetValue<int>());
        await AssertCountsAsync(owner.Client, projectId, total: 5, open: 5, activeLeases: 2);

        await SubmitOkAsync(worker, a);
        var c = await ClaimLeaseAsync(worker, projectId);
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Conflict, "conflict");

        (await ReleaseAsync(worker, b.LeaseId)).Is(HttpStatusCode.OK);
        var d = await ClaimLeaseAsync(worker, projectId);
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Conflict, "conflict");

        Assert.Equal(4, new[] { a.TaskId, b.TaskId, c.TaskId, d.TaskId }.Distinct().Count());
        await AssertCountsAsync(owner.Client, projectId, total: 5, open: 4, completed: 1, activeLeases: 2, submissions: 1);
    }

    // ---------------------------------------------------------------- blocked workers

    [Fact]
    public async Task BlockedWorker_Is403WorkerBlocked_AndItsActiveLeasesEndAtOnce()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"maxAttempts":5}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(3, "t"));
        var worker = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();
        var a = await ClaimLeaseAsync(worker, projectId);
        var b = await ClaimLeaseAsync(worker, projectId);

        var blocked = (await Admin.PostApiAsync($"{WorkerPath(worker.Id)}/block", new { reason = "spam" })).Is(HttpStatusCode.OK);
        Assert.True(blocked["blocked"]!.GetValue<bool>());
        Assert.Equal(0, blocked["activeLeases"]!.GetValue<int>());

        // At once: no waiting for the leases to run out.
        foreach (var lease in new[] { a, b })
        {
            var view = await GetTaskAsync(owner.Client, projectId, lease.TaskId);
            Assert.Equal("released", StateOf(LeaseOf(view, lease.LeaseId)));
            Assert.Equal("open", StateOf(view));
        }

        var workerView = await GetWorkerAsync(Admin, worker.Id);
        Assert.True(workerView["blocked"]!.GetValue<bool>());
        Assert.Equal(0, workerView["activeLeases"]!.GetValue<int>());
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 3);
        Assert.Empty((await worker.Client.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray());

        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Forbidden, "worker-blocked");
        (await ClaimAsync(Admin, worker.Id, projectId)).IsProblem(HttpStatusCode.Forbidden, "worker-blocked");
        var late = await SubmitAsync(worker, a.LeaseId);
        Assert.True(
            late.Status is HttpStatusCode.Conflict or HttpStatusCode.Forbidden && late.MediaType == "application/problem+json",
            $"A submit on a lease ended by blocking must be refused: {late}");
        Assert.Empty((await GetTaskAsync(owner.Client, projectId, a.TaskId))["submissions"]!.AsArray());

        // The freed tasks go to others at once.
        var taken = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            taken.Add((await ClaimLeaseAsync(other, projectId)).TaskId);
        }

        Assert.Equal(new[] { "t-0", "t-1", "t-2" }, taken.Order());

        (await Admin.PostApiAsync($"{WorkerPath(worker.Id)}/unblock", new { })).Is(HttpStatusCode.OK);
        await ImportAsync(owner.Client, projectId, """[{"id":"fresh","payload":1}]""");
        Assert.Equal("fresh", (await ClaimLeaseAsync(worker, projectId)).TaskId);
    }

    // ---------------------------------------------------------------- paused and closed projects

    [Fact]
    public async Task PausedOrClosedProject_Is409ProjectNotOpen_ButExistingLeasesMaySubmit()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(4, "t"));
        var worker = await CreateWorkerAsync();
        var first = await ClaimLeaseAsync(worker, projectId);

        (await owner.Client.PatchApiAsync(ProjectPath(projectId), new { status = "paused" })).Is(HttpStatusCode.OK);
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Conflict, "project-not-open");
        (await ClaimAsync(worker, projectId, waitSeconds: 1)).IsProblem(HttpStatusCode.Conflict, "project-not-open");
        Assert.Equal("completed", await SubmitOkAsync(worker, first));

        (await owner.Client.PatchApiAsync(ProjectPath(projectId), new { status = "open" })).Is(HttpStatusCode.OK);
        var second = await ClaimLeaseAsync(worker, projectId);

        (await owner.Client.PatchApiAsync(ProjectPath(projectId), new { status = "closed" })).Is(HttpStatusCode.OK);
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Conflict, "project-not-open");
        Assert.Equal("completed", await SubmitOkAsync(worker, second));
        (await ClaimAsync(worker, projectId)).IsProblem(HttpStatusCode.Conflict, "project-not-open");

        await AssertCountsAsync(owner.Client, projectId, total: 4, open: 2, completed: 2, submissions: 2);
    }

    // ---------------------------------------------------------------- who may act

    [Fact]
    public async Task Worker_UsingAnotherWorkersPath_Is403Forbidden_AndChangesNothing()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, SmallTasks(2, "t"));
        var victim = await CreateWorkerAsync();
        var intruder = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(victim, projectId);

        (await intruder.Client.PostApiAsync(LeasesPath(victim.Id), new { projectId })).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await intruder.Client.GetApiAsync(LeasesPath(victim.Id))).IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await intruder.Client.PostApiAsync(LeasePath(victim.Id, lease.LeaseId, "heartbeat"), new { extendSeconds = 5 }))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await intruder.Client.PostApiAsync(LeasePath(victim.Id, lease.LeaseId, "submit"), new { result = "stolen" }))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await intruder.Client.PostApiAsync(LeasePath(victim.Id, lease.LeaseId, "release"), new { }))
            .IsProblem(HttpStatusCode.Forbidden, "forbidden");
        (await owner.Client.PostApiAsync(LeasesPath(victim.Id), new { projectId })).IsProblem(HttpStatusCode.Forbidden, "forbidden");

        // Its own path with someone else's lease id: that lease is not one of its leases.
        (await intruder.Client.PostApiAsync(LeasePath(intruder.Id, lease.LeaseId, "submit"), new { result = "stolen" }))
            .IsProblem(HttpStatusCode.NotFound, "not-found");
        (await intruder.Client.PostApiAsync(LeasePath(intruder.Id, lease.LeaseId, "heartbeat"), new { }))
            .IsProblem(HttpStatusCode.NotFound, "not-found");
        (await intruder.Client.PostApiAsync(LeasePath(intruder.Id, lease.LeaseId, "release"), new { }))
            .IsProblem(HttpStatusCode.NotFound, "not-found");

        var view = await GetTaskAsync(owner.Client, projectId, lease.TaskId);
        var stored = LeaseOf(view, lease.LeaseId);
        Assert.Equal("active", StateOf(stored));
        AssertSameInstant(lease.ExpiresAt, ApiAssert.IsUtcTimestamp(stored["expiresAt"], "expiresAt"));
        Assert.Empty(view["submissions"]!.AsArray());
        Assert.Single(view["leases"]!.AsArray());
        await AssertCountsAsync(owner.Client, projectId, total: 2, open: 2, activeLeases: 1);
        Assert.Equal("completed", await SubmitOkAsync(victim, lease));
    }

    [Fact]
    public async Task UnknownLeaseId_Is404NotFound()
    {
        var worker = await CreateWorkerAsync();
        foreach (var leaseId in new[] { Guid.NewGuid().ToString("N").ToUpperInvariant(), "not-a-lease" })
        {
            foreach (var action in new[] { "heartbeat", "submit", "release" })
            {
                (await worker.Client.PostApiAsync(LeasePath(worker.Id, leaseId, action), action == "submit" ? """{"result":1}""" : "{}"))
                    .IsProblem(HttpStatusCode.NotFound, "not-found");
            }
        }
    }

    [Fact]
    public async Task Admin_ActingForAWorker_ClaimsListsHeartbeatsAndSubmitsAsThatWorker()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"reward":1.5}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(2, "t"));
        var worker = await CreateWorkerAsync();

        var lease = ToLease(await ClaimAsync(Admin, worker.Id, projectId), projectId);
        var listed = (await worker.Client.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray();
        Assert.Equal(lease.LeaseId, Assert.Single(listed)!["leaseId"]!.GetValue<string>());
        Assert.Equal(lease.LeaseId, Assert.Single((await Admin.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray())!["leaseId"]!.GetValue<string>());
        (await Admin.PostApiAsync(LeasePath(worker.Id, lease.LeaseId, "heartbeat"), new { extendSeconds = 600 })).Is(HttpStatusCode.OK);
        var submitted = (await Admin.PostApiAsync(LeasePath(worker.Id, lease.LeaseId, "submit"), new { result = "by admin" })).Is(HttpStatusCode.OK);
        Assert.Equal("completed", submitted["taskState"]!.GetValue<string>());

        var other = ToLease(await ClaimAsync(Admin, worker.Id, projectId), projectId);
        (await Admin.PostApiAsync(LeasePath(worker.Id, other.LeaseId, "release"), new { })).Is(HttpStatusCode.OK);

        var view = await GetTaskAsync(owner.Client, projectId, lease.TaskId);
        Assert.Equal(worker.Id, Assert.Single(view["submissions"]!.AsArray())!["workerId"]!.GetValue<string>());
        Assert.Equal(worker.Id, LeaseOf(view, lease.LeaseId)["workerId"]!.GetValue<string>());
        var workerView = await GetWorkerAsync(worker.Client, worker.Id);
        Assert.Equal(1, workerView["stats"]!["submitted"]!.GetValue<int>());
        Assert.Equal(1.5m, Decimal(workerView["earnings"]!["total"], "earnings.total"));
    }

    [Fact]
    public async Task ListLeases_ShowsOnlyTheWorkersActiveLeases()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"instructions":"Do it.","labelConfig":"<View/>"}""");
        await ImportAsync(owner.Client, projectId, SmallTasks(4, "t"));
        var worker = await CreateWorkerAsync();
        var other = await CreateWorkerAsync();
        Assert.Empty((await worker.Client.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray());

        var submitted = await ClaimLeaseAsync(worker, projectId);
        var released = await ClaimLeaseAsync(worker, projectId);
        var kept = await ClaimLeaseAsync(worker, projectId);
        await ClaimLeaseAsync(other, projectId);
        await SubmitOkAsync(worker, submitted);
        (await ReleaseAsync(worker, released.LeaseId)).Is(HttpStatusCode.OK);

        var items = (await worker.Client.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray();
        var item = Assert.Single(items)!;
        Assert.Equal(kept.LeaseId, item["leaseId"]!.GetValue<string>());
        Assert.Equal(kept.TaskId, item["taskId"]!.GetValue<string>());
        Assert.Equal(projectId, item["projectId"]!.GetValue<string>());
        Assert.Equal("task", item["kind"]?.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(kept.Body["payload"], item["payload"]), items.ToJsonString());
        AssertSameInstant(kept.ExpiresAt, ApiAssert.IsUtcTimestamp(item["expiresAt"], "expiresAt"));
        Assert.Equal(1, (await GetWorkerAsync(Admin, worker.Id))["activeLeases"]!.GetValue<int>());
    }

    // ---------------------------------------------------------------- ordering

    [Fact]
    public async Task Claim_ServesHighestTaskPriorityFirst_ThenOldest()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, """[{"id":"a","payload":1,"priority":0},{"id":"b","payload":2,"priority":5}]""");
        await ImportAsync(owner.Client, projectId, """[{"id":"c","payload":3,"priority":0},{"id":"d","payload":4,"priority":5}]""");
        await ImportAsync(owner.Client, projectId, """[{"id":"e","payload":5,"priority":10},{"id":"f","payload":6,"priority":-3}]""");
        await ImportAsync(owner.Client, projectId, """[{"id":"g","payload":7}]""");
        var worker = await CreateWorkerAsync();

        var order = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var lease = await ClaimLeaseAsync(worker, projectId);
            order.Add(lease.TaskId);
            await SubmitOkAsync(worker, lease);
        }

        Assert.Equal(new[] { "e", "b", "d", "a", "c", "g", "f" }, order);
        (await ClaimAsync(worker, projectId)).IsEmpty(HttpStatusCode.NoContent);
    }

    // ---------------------------------------------------------------- counts and earnings

    [Fact]
    public async Task ProjectCounts_AreExactAfterEachStep()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, """{"overlap":2,"maxAttempts":2}""");
        await AssertCountsAsync(owner.Client, projectId, total: 0, open: 0);
        await ImportAsync(owner.Client, projectId, SmallTasks(3, "t"));
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 3);
        var w = new List<Worker>();
        for (var i = 0; i < 4; i++)
        {
            w.Add(await CreateWorkerAsync());
        }

        var l0 = await ClaimLeaseAsync(w[0], projectId);
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 3, activeLeases: 1);
        var l1 = await ClaimLeaseAsync(w[1], projectId);
        Assert.Equal(new[] { "t-0", "t-0" }, new[] { l0.TaskId, l1.TaskId });
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 3, activeLeases: 2);

        Assert.Equal("open", await SubmitOkAsync(w[0], l0));
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 3, activeLeases: 1, submissions: 1);
        Assert.Equal("completed", await SubmitOkAsync(w[1], l1));
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 2, completed: 1, submissions: 2);

        var l2 = await ClaimLeaseAsync(w[2], projectId);
        Assert.Equal("t-1", l2.TaskId);
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 2, completed: 1, activeLeases: 1, submissions: 2);
        (await ReleaseAsync(w[2], l2.LeaseId)).Is(HttpStatusCode.OK);
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 2, completed: 1, submissions: 2);

        var l3 = await ClaimLeaseAsync(w[3], projectId);
        Assert.Equal("t-1", l3.TaskId);
        (await ReleaseAsync(w[3], l3.LeaseId)).Is(HttpStatusCode.OK);
        Assert.Equal("deadLettered", StateOf(await GetTaskAsync(owner.Client, projectId, "t-1")));
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 1, completed: 1, deadLettered: 1, submissions: 2);

        var retried = (await owner.Client.PostApiAsync($"{TaskPath(projectId, "t-1")}/retry", new { })).Is(HttpStatusCode.OK);
        Assert.Equal("open", StateOf(retried));
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 2, completed: 1, submissions: 2);

        await ImportAsync(owner.Client, projectId, SmallTasks(3, "t")); // all three already there
        await AssertCountsAsync(owner.Client, projectId, total: 3, open: 2, completed: 1, submissions: 2);
    }

    [Fact]
    public async Task Earnings_AreCreditedOncePerAcceptedSubmission_ExactInDecimal()
    {
        var owner = await CreateRequesterAsync();
        var tenths = await CreateProjectAsync(owner.Client, """{"reward":0.1}""");
        var sevens = await CreateProjectAsync(owner.Client, """{"reward":0.07}""");
        var free = await CreateProjectAsync(owner.Client);
        foreach (var projectId in new[] { tenths, sevens, free })
        {
            await ImportAsync(owner.Client, projectId, SmallTasks(4, "t"));
        }

        var worker = await CreateWorkerAsync();
        var idle = await CreateWorkerAsync();
        Assert.Equal(0m, Decimal((await GetWorkerAsync(Admin, worker.Id))["earnings"]!["total"], "earnings.total"));

        foreach (var projectId in new[] { tenths, sevens, free })
        {
            for (var i = 0; i < 3; i++)
            {
                var lease = await ClaimLeaseAsync(worker, projectId);
                await SubmitOkAsync(worker, lease);
                (await SubmitAsync(worker, lease.LeaseId)).IsProblem(HttpStatusCode.Conflict, "lease-not-active");
            }

            // A released lease earns nothing.
            var dropped = await ClaimLeaseAsync(worker, projectId);
            (await ReleaseAsync(worker, dropped.LeaseId)).Is(HttpStatusCode.OK);
        }

        var view = await GetWorkerAsync(Admin, worker.Id);
        Assert.Equal(9, view["stats"]!["submitted"]!.GetValue<int>());
        Assert.Equal(0.51m, Decimal(view["earnings"]!["total"], "earnings.total"));
        Assert.Equal(0m, Decimal((await GetWorkerAsync(Admin, idle.Id))["earnings"]!["total"], "earnings.total"));
        Assert.Equal(0, (await GetWorkerAsync(Admin, idle.Id))["stats"]!["submitted"]!.GetValue<int>());
    }

    // ---------------------------------------------------------------- helpers

    private async Task<Worker> CreateWorkerWithAsync(int maxActiveLeases)
    {
        var id = NewId("wrk");
        return await CreateWorkerAsync(id, new { id, maxActiveLeases });
    }

    /// <summary>Asserts <paramref name="actual"/> lies in [<paramref name="earliest"/>, <paramref name="latest"/>] give or take 1.5 s.</summary>
    private static void AssertAbout(DateTimeOffset earliest, DateTimeOffset latest, DateTimeOffset actual, string context)
    {
        var slack = TimeSpan.FromSeconds(1.5);
        Assert.True(
            actual >= earliest - slack && actual <= latest + slack,
            $"Expected a time between {earliest:O} and {latest:O}, got {actual:O}: {context}");
    }
}

/// <summary>The lease rules on in-memory storage.</summary>
public sealed class LeaseRulesTests_Memory(MemoryApiHost host) : LeaseRulesTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>The lease rules on PostgreSQL storage, on a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LeaseRulesTests_Postgres(PostgresServer postgres, PostgresApiHost host) : LeaseRulesTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
