using System.Diagnostics;
using System.Net;
using Dispatch.Client;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Client;

/// <summary>The typed calls against a real host: what they send is stored, what they read is typed, errors are typed.</summary>
public abstract class ClientCallsTests : ClientTestBase
{
    [Fact]
    public async Task TypedCalls_RunTheWholeCycle_AndReadBackWhatTheyStored()
    {
        await using var kit = await KitAsync();
        var admin = kit.Admin;
        var requester = await admin.CreateRequesterAsync(new NewRequester(ClientKit.NewId("acme"), "Acme AI"));
        Assert.StartsWith("rq.", requester.ApiKey);
        var acme = admin.As(requester.ApiKey);

        var created = await admin.CreateWorkerAsync(new NewWorker(ClientKit.NewId("mina"), "Mina", MaxActiveLeases: 3));
        var certified = await admin.CertifyAsync(created.Id, "image-labeling", 2);
        var certification = Assert.Single(certified.Certifications);
        Assert.Equal(("image-labeling", 2, CertificationSource.Admin, false), (certification.Skill, certification.Level, certification.Source, certification.Suspended));
        var mina = admin.As(created.Token);

        var project = await acme.CreateProjectAsync(new NewProject(ClientKit.NewId("cats"))
        {
            Name = "Cat or fur ball?",
            Instructions = "Pick the right label.",
            Requirements = [new Requirement("image-labeling", 2)],
            LeaseSeconds = 120,
            Reward = 0.05m,
        });
        Assert.Equal((ProjectStatus.Open, 120, 0.05m, 1), (project.Status, project.LeaseSeconds, project.Reward, project.Overlap));
        Assert.Equal([project.Id], (await acme.ListProjectsAsync()).Select(p => p.Id));

        var import = await acme.ImportTasksAsync(project.Id, [
            new NewTask(ClientKit.Json(new { url = "https://example.com/1.jpg" })) { Id = "img-1" },
            new NewTask(ClientKit.Json(new { url = "https://example.com/2.jpg" })) { Priority = -1 }]);
        Assert.Equal((2, 0, "img-1"), (import.Created, import.Existing, import.Ids[0]));

        var lease = await mina.ClaimAsync(created.Id, waitSeconds: 20);
        Assert.NotNull(lease);
        Assert.Equal(("img-1", project.Id, "Pick the right label.", "task"), (lease.TaskId, lease.ProjectId, lease.Instructions, lease.Kind));
        Assert.Equal("https://example.com/1.jpg", lease.Payload.GetProperty("url").GetString());
        Assert.Equal([lease.LeaseId], (await mina.ListLeasesAsync(created.Id)).Select(l => l.LeaseId));

        var heartbeat = await mina.HeartbeatAsync(created.Id, lease.LeaseId, extendSeconds: 600);
        Assert.InRange(heartbeat.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(590), TimeSpan.FromSeconds(601));
        var submitted = await mina.SubmitAsync(created.Id, lease.LeaseId, ClientKit.Json(new { label = "cat" }));
        Assert.Equal(("img-1", TaskState.Completed), (submitted.TaskId, submitted.TaskState));

        var task = await acme.GetTaskAsync(project.Id, "img-1");
        Assert.Equal(TaskState.Completed, task.State);
        Assert.Equal(LeaseState.Submitted, Assert.Single(task.Leases).State);
        Assert.Equal("cat", Assert.Single(task.Submissions).Result.GetProperty("label").GetString());
        var open = await acme.ListTasksAsync(project.Id, TaskState.Open);
        Assert.Equal([import.Ids[1]], open.Items.Select(t => t.Id));
        Assert.Null(open.Next);
        var results = await acme.ListResultsAsync(project.Id, limit: 10);
        Assert.Equal("img-1", Assert.Single(results.Items).TaskId);

        var worker = await mina.GetWorkerAsync(created.Id);
        Assert.Equal((1L, 0.05m, 0), (worker.Stats.Submitted, worker.Earnings.Total, worker.ActiveLeases));
        var paused = await acme.UpdateProjectAsync(project.Id, new ProjectChanges { Status = ProjectStatus.Paused, Priority = 7 });
        Assert.Equal((ProjectStatus.Paused, 7), (paused.Status, paused.Priority));
        Assert.Equal((1, 1, 0, 0), ((int)paused.Counts.Open, (int)paused.Counts.Completed, (int)paused.Counts.DeadLettered, (int)paused.Counts.ActiveLeases));

        Assert.True((await admin.BlockWorkerAsync(created.Id, "testing")).Blocked);
        Assert.False((await admin.UnblockWorkerAsync(created.Id)).Blocked);
        await admin.RevokeCertificationAsync(created.Id, "image-labeling");
        Assert.Empty((await admin.GetWorkerAsync(created.Id)).Certifications);
    }

    [Fact]
    public async Task ErrorAnswers_ThrowDispatchProblemException_WithTypeStatusDetailAndFieldErrors()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync();

        var invalid = await Assert.ThrowsAsync<DispatchProblemException>(() =>
            crew.Requester.ImportTasksAsync(crew.ProjectId, [new NewTask(ClientKit.Json(1)) { Id = "not an id!" }]));
        Assert.Equal((HttpStatusCode.BadRequest, ProblemTypes.Validation), (invalid.Status, invalid.Type));
        Assert.True(invalid.Errors.ContainsKey("tasks[0].id"), string.Join(", ", invalid.Errors.Keys));

        var duplicate = await Assert.ThrowsAsync<DispatchProblemException>(() => kit.Admin.CreateWorkerAsync(new NewWorker(crew.WorkerId)));
        Assert.Equal((HttpStatusCode.Conflict, ProblemTypes.Conflict), (duplicate.Status, duplicate.Type));
        Assert.False(string.IsNullOrEmpty(duplicate.Detail));

        var stranger = await Assert.ThrowsAsync<DispatchProblemException>(() => kit.Admin.As("wk.nobody.secret").GetWorkerAsync(crew.WorkerId));
        Assert.Equal((HttpStatusCode.Unauthorized, ProblemTypes.Unauthenticated), (stranger.Status, stranger.Type));

        await crew.ImportAsync("t1");
        var lease = await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId);
        await crew.Worker.SubmitAsync(crew.WorkerId, lease!.LeaseId, ClientKit.Json("cat"));
        var again = await Assert.ThrowsAsync<DispatchProblemException>(() => crew.Worker.SubmitAsync(crew.WorkerId, lease.LeaseId, ClientKit.Json("cat")));
        Assert.True(again.Is(ProblemTypes.LeaseNotActive), again.Message);

        await crew.Requester.UpdateProjectAsync(crew.ProjectId, new ProjectChanges { Status = ProjectStatus.Closed });
        var closed = await Assert.ThrowsAsync<DispatchProblemException>(() => crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId));
        Assert.Equal((HttpStatusCode.Conflict, ProblemTypes.ProjectNotOpen), (closed.Status, closed.Type));
    }

    [Fact]
    public async Task MoneyCalls_PayBonusesAndPayoutsOnce_AndPageTheLedger()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync(p => p with { Reward = 0.5m });
        await crew.ImportAsync("t1");
        var lease = await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId);
        await crew.Worker.SubmitAsync(crew.WorkerId, lease!.LeaseId, ClientKit.Json("cat"));

        var bonus = await crew.Requester.PayBonusAsync(crew.WorkerId, new NewBonus(crew.ProjectId, 1.25m, "careful", "b1"));
        Assert.Equal(bonus, await crew.Requester.PayBonusAsync(crew.WorkerId, new NewBonus(crew.ProjectId, 1.25m, "careful", "b1")));
        var payout = await kit.Admin.PayOutAsync(crew.WorkerId, new NewPayout(1.5m, "SEPA 1", "p1"));
        Assert.Equal((crew.WorkerId, 1.5m, "SEPA 1"), (payout.WorkerId, payout.Amount, payout.Reference));
        var broke = await Assert.ThrowsAsync<DispatchProblemException>(() => kit.Admin.PayOutAsync(crew.WorkerId, new NewPayout(0.5m, "SEPA 2", "p2")));
        Assert.Equal((HttpStatusCode.Conflict, ProblemTypes.InsufficientBalance), (broke.Status, broke.Type));

        var first = await crew.Worker.GetLedgerAsync(crew.WorkerId, limit: 2);
        var rest = await crew.Worker.GetLedgerAsync(crew.WorkerId, first.Next, limit: 2);
        Assert.Null(rest.Next);
        var ledger = first.Items.Concat(rest.Items).ToList();
        Assert.Equal([LedgerEntryKind.Reward, LedgerEntryKind.Bonus, LedgerEntryKind.Payout], ledger.Select(e => e.Kind));
        Assert.Equal([0.5m, 1.75m, 0.25m], ledger.Select(e => e.Balance));
        Assert.Equal((bonus.BonusId, payout.PayoutId, -1.5m), (ledger[1].EntryId, ledger[2].EntryId, ledger[2].Amount));
        Assert.Equal(new WorkerEarnings(1.75m, 0m, 1.5m, 0.25m), (await crew.Worker.GetWorkerAsync(crew.WorkerId)).Earnings);
    }

    [Fact]
    public async Task DeadLetteredTask_IsListedByState_AndRetryOpensItForTheCrowdAgain()
    {
        await using var kit = await KitAsync();
        Assert.True(await kit.Admin.IsReadyAsync());
        var crew = await kit.CrewAsync(p => p with { MaxAttempts = 1 });
        await crew.ImportAsync("fragile");
        var lease = await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId);
        await crew.Worker.ReleaseAsync(crew.WorkerId, lease!.LeaseId, "blurred image");

        var dead = await crew.Requester.ListTasksAsync(crew.ProjectId, TaskState.DeadLettered, limit: 10);
        Assert.Equal(("fragile", 1), (Assert.Single(dead.Items).Id, dead.Items[0].FailedAttempts));

        var retried = await crew.Requester.RetryTaskAsync(crew.ProjectId, "fragile");
        Assert.Equal((TaskState.Open, 0), (retried.State, retried.FailedAttempts));
        Assert.Empty((await crew.Requester.ListTasksAsync(crew.ProjectId, TaskState.DeadLettered)).Items);
        Assert.Equal(1, (await crew.Requester.GetProjectAsync(crew.ProjectId)).Counts.Open);
    }

    [Fact]
    public async Task ReviewCalls_ListPendingSubmissions_AndGiveVerdicts()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync(p => p with { Review = new ReviewRule("requester") });
        await crew.ImportAsync("r1");
        var lease = await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId);
        var receipt = await crew.Worker.SubmitAsync(crew.WorkerId, lease!.LeaseId, ClientKit.Json("cat"));
        Assert.Equal(TaskState.Open, receipt.TaskState);

        var pending = Assert.Single((await crew.Requester.ListSubmissionsAsync(crew.ProjectId, SubmissionState.Pending)).Items);
        Assert.Equal(("r1", crew.WorkerId, SubmissionState.Pending, (Review?)null), (pending.TaskId, pending.WorkerId, pending.State, pending.Review));
        var accepted = await crew.Requester.ReviewSubmissionAsync(crew.ProjectId, "r1", crew.WorkerId, ReviewVerdict.Accept, "good");
        Assert.Equal((SubmissionState.Accepted, ReviewVerdict.Accept, "requester", "good"), (accepted.State, accepted.Review!.Verdict, accepted.Review.By, accepted.Review.Comment));

        var refused = await Assert.ThrowsAsync<DispatchProblemException>(() => crew.Requester.ReviewSubmissionAsync(crew.ProjectId, "r1", crew.WorkerId, ReviewVerdict.Reject));
        Assert.True(refused.Is(ProblemTypes.NotReviewable), refused.Message);
        Assert.Equal(SubmissionState.Accepted, Assert.Single((await crew.Requester.GetTaskAsync(crew.ProjectId, "r1")).Submissions).State);
        Assert.Equal((1L, 0L), ((await crew.Worker.GetWorkerAsync(crew.WorkerId)).Stats.Accepted, (await crew.Worker.GetWorkerAsync(crew.WorkerId)).Stats.Rejected));
    }

    [Fact]
    public async Task Claim_WithLongPolling_AnswersWhenWorkAppears_AndNullWhenNoneDoes()
    {
        await using var kit = await KitAsync();
        var crew = await kit.CrewAsync();

        var clock = Stopwatch.StartNew();
        Assert.Null(await crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId, waitSeconds: 1));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));

        clock.Restart();
        var waiting = crew.Worker.ClaimAsync(crew.WorkerId, crew.ProjectId, waitSeconds: 20);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await crew.ImportAsync("late");
        var lease = await waiting;
        Assert.Equal("late", lease?.TaskId);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task CrowdReviewWithDynamicOverlap_IsSetUpThroughTheClient_AndAReviewLeaseCarriesTheResultUnderReview()
    {
        await using var kit = await KitAsync();
        var admin = kit.Admin;
        var requester = await admin.CreateRequesterAsync(new NewRequester(ClientKit.NewId("acme"), "Acme AI"));
        var acme = admin.As(requester.ApiKey);
        var project = await acme.CreateProjectAsync(new NewProject(ClientKit.NewId("crowd"))
        {
            Review = new ReviewRule("crowd", Reward: 0.1m),
            Aggregation = new AggregationRule("majority", "label"),
            DynamicOverlap = new DynamicOverlapRule(Max: 3, Agreement: 0.9),
        });
        await acme.ImportTasksAsync(project.Id, [new NewTask(ClientKit.Json(new { n = 1 })) { Id = "t" }]);

        var labeller = await admin.CreateWorkerAsync(new NewWorker(ClientKit.NewId("lab")));
        var reviewer = await admin.CreateWorkerAsync(new NewWorker(ClientKit.NewId("rev")));
        var work = await admin.ClaimAsync(labeller.Id, project.Id);
        Assert.False(work!.IsReview);
        await admin.SubmitAsync(labeller.Id, work.LeaseId, ClientKit.Json(new { label = "cat" }));

        var review = await admin.ClaimAsync(reviewer.Id, project.Id);
        Assert.True(review!.IsReview);
        Assert.Equal("cat", review.Review!.Result.GetProperty("label").GetString());
        await admin.SubmitAsync(reviewer.Id, review.LeaseId, ClientKit.Json(new { verdict = "accept" }));

        // One accepted answer at overlap 1 is its own full agreement: the task completes, with its majority aggregate.
        var task = await acme.GetTaskAsync(project.Id, "t");
        Assert.Equal(TaskState.Completed, task.State);
    }
}

public sealed class ClientCallsOnMemoryTests(MemoryApiHost host) : ClientCallsTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

[Collection(PostgresCollection.Name)]
public sealed class ClientCallsOnPostgresTests(PostgresServer postgres, PostgresApiHost host) : ClientCallsTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
