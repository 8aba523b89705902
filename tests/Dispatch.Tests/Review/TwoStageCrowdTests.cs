using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Tiers;
using Dispatch.Tests.Work;
using Xunit.Abstractions;

namespace Dispatch.Tests.CrowdReview;

/// <summary>
/// Issue 13's two-stage crowd over HTTP, all at once: labellers label, certified reviewers (who also label) review
/// through the same claim call and judge each result against a truth they know, while the owner pays bonuses and the
/// admin pays out. Every task ends completed or dead-lettered, nobody reviews work on a task it submitted to, and every
/// worker's ledger adds up to its accepted rewards, review rewards and bonuses less its payouts.
/// </summary>
public abstract class TwoStageCrowdTests(ITestOutputHelper output) : CrowdReviewTestBase
{
    private const int LabellerCount = 100;
    private const int ReviewerCount = 10;
    private const int TaskCount = 200;
    private const int Overlap = 2;
    private const int MaxAttempts = 4;
    private const decimal Reward = 0.05m;
    private const decimal ReviewReward = 0.02m;
    private static readonly decimal[] BonusAmounts = [0.5m, 0.1234m, 1m, 0.0001m];

    /// <summary>How long the crowd may work before the test gives up on it.</summary>
    protected virtual TimeSpan Deadline => TimeSpan.FromSeconds(50);

    /// <summary>The right answer to task <c>t-n</c> (payload <c>{"n": n}</c>), known to the reviewers.</summary>
    private static JsonNode Truth(int n) => new JsonObject { ["label"] = $"L{n % 4}" };

    private static int N(string taskId) => int.Parse(taskId["t-".Length..], System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Member(Worker Worker, bool Reviewer, bool AnswersBadly);

    private sealed class Tally
    {
        public ConcurrentBag<(string TaskId, string WorkerId)> Labelled { get; } = [];

        public ConcurrentBag<(string TaskId, string ReviewerId, string Verdict)> Reviewed { get; } = [];

        public ConcurrentQueue<string> Unexpected { get; } = new();

        /// <summary><c>503</c> answers, retried as the answer says; none is expected on one healthy silo.</summary>
        public ConcurrentQueue<string> Faults { get; } = new();

        public ConcurrentDictionary<string, decimal> Bonuses { get; } = new();

        public ConcurrentDictionary<string, decimal> Payouts { get; } = new();

        public int EndedLeases;

        public int Calls;
    }

    [Fact]
    public async Task TwoStageCrowd_EveryTaskEndsAcceptedOrDeadLettered_NobodyReviewsTheirOwnTask_AndTheMoneyAddsUp()
    {
        var clock = Stopwatch.StartNew();
        var labelling = NewId("label");
        var reviewing = NewId("review");
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client, CrowdProject(
            Requirements((reviewing, 2)),
            ReviewReward,
            $$"""
            "overlap":{{Overlap}},"maxAttempts":{{MaxAttempts}},"reward":0.05,"requirements":{{Requirements((labelling, 1))}}
            """));
        Assert.Equal(TaskCount, (await ImportAsync(owner.Client, projectId, SmallTasks(TaskCount, "t")))["created"]!.GetValue<int>());
        var members = await CrowdAsync(labelling, reviewing);
        output.WriteLine($"setup: {clock.Elapsed.TotalSeconds:0.0} s");

        var tally = new Tally();
        var crowdClock = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(Deadline);
        using var done = new CancellationTokenSource();
        var allIds = members.Select(m => m.Worker.Id).ToList();
        var working = members.Select(m => Task.Run(() => WorkAsync(m, projectId, allIds, tally, done.Token))).ToList();
        var paying = Task.Run(() => PayAsync(owner, members, projectId, tally, done.Token));
        var open = int.MaxValue;
        while (!deadline.IsCancellationRequested)
        {
            open = (await GetProjectAsync(owner.Client, projectId))["counts"]!["open"]!.GetValue<int>();
            if (open == 0)
            {
                break;
            }

            await Task.Delay(250);
        }

        await done.CancelAsync();
        await Task.WhenAll(working);
        await paying;
        output.WriteLine(
            $"crowd ({Host.Storage}): {crowdClock.Elapsed.TotalSeconds:0.0} s, {tally.Calls} calls, {tally.Labelled.Count} labels, " +
            $"{tally.Reviewed.Count} reviews ({tally.Reviewed.Count(r => r.Verdict == "reject")} rejections), {tally.Bonuses.Count} bonuses, " +
            $"{tally.Payouts.Count} payouts, {tally.EndedLeases} leases ended under their holder, {tally.Unexpected.Count} unexpected answers, {tally.Faults.Count} 503s");
        foreach (var answer in tally.Unexpected.Concat(tally.Faults).Take(10))
        {
            output.WriteLine($"unexpected: {answer}");
        }

        if (open > 0)
        {
            await DescribeOpenTasksAsync(owner, projectId, tally);
        }

        Assert.True(open == 0, $"{open} tasks were still open after {Deadline.TotalSeconds:0} s");
        Assert.True(tally.Unexpected.IsEmpty, $"{tally.Unexpected.Count} unexpected answers, first: {string.Join(Environment.NewLine, tally.Unexpected.Take(5))}");

        var submissions = await AssertTasksAndReviewsAsync(owner, projectId, tally);
        await AssertMoneyAddsUpAsync(members, submissions, tally);
        output.WriteLine($"total with checks: {clock.Elapsed.TotalSeconds:0.0} s");

        // Last, so that a fault does not hide what the checks above found: one healthy silo never answers 503.
        Assert.True(tally.Faults.IsEmpty, $"{tally.Faults.Count} answers were 503 on a healthy silo (retried until answered), first: {string.Join(Environment.NewLine, tally.Faults.Take(3))}");
    }

    /// <summary>Writes what a task left open holds, and what the crowd did with it, to find out why it never ended.</summary>
    private async Task DescribeOpenTasksAsync(Requester owner, string projectId, Tally tally)
    {
        for (var i = 0; i < TaskCount; i++)
        {
            var view = await GetTaskAsync(owner.Client, projectId, $"t-{i}");
            if (StateOf(view) == "open")
            {
                output.WriteLine($"open: {view.ToJsonString()}");
                output.WriteLine($"  labelled by: {string.Join(", ", tally.Labelled.Where(l => l.TaskId == $"t-{i}").Select(l => l.WorkerId))}");
                output.WriteLine($"  reviewed: {string.Join(", ", tally.Reviewed.Where(r => r.TaskId == $"t-{i}"))}");
            }
        }
    }

    /// <summary>100 labellers (every fourth answers badly) and 10 reviewers certified to review and to label.</summary>
    private async Task<List<Member>> CrowdAsync(string labelling, string reviewing)
    {
        var plan = Enumerable.Range(0, LabellerCount).Select(i => (Id: NewId($"lab{i:000}"), Reviewer: false, Bad: i % 4 == 3))
            .Concat(Enumerable.Range(0, ReviewerCount).Select(i => (Id: NewId($"rev{i:00}"), Reviewer: true, Bad: false)))
            .ToList();
        var tokens = await Task.WhenAll(plan.Select(async p =>
        {
            var token = (await Admin.PostApiAsync("/v1/workers", new { id = p.Id })).Is(HttpStatusCode.Created)["token"]!.GetValue<string>();
            (await Admin.PutApiAsync(CertificationPath(p.Id, labelling), new { level = 1 })).Is(HttpStatusCode.OK);
            if (p.Reviewer)
            {
                (await Admin.PutApiAsync(CertificationPath(p.Id, reviewing), new { level = 2 })).Is(HttpStatusCode.OK);
            }

            return token;
        }));

        // Clients are made one after another: the base keeps them in a plain list.
        return [.. plan.Select((p, i) => new Member(new Worker(p.Id, tokens[i], Client(tokens[i])), p.Reviewer, p.Bad))];
    }

    /// <summary>One member's loop: claim in the project, review against the truth or label, until told to stop.</summary>
    private static async Task WorkAsync(Member member, string projectId, List<string> allIds, Tally tally, CancellationToken stop)
    {
        var worker = member.Worker;
        var others = allIds.Where(id => id != worker.Id).ToList();
        while (!stop.IsCancellationRequested)
        {
            var claim = await ClaimAsync(worker, projectId, waitSeconds: 1);
            Interlocked.Increment(ref tally.Calls);
            if (claim.Status == HttpStatusCode.NoContent)
            {
                continue;
            }

            if (claim.Status != HttpStatusCode.Created)
            {
                tally.Unexpected.Enqueue(claim.ToString());
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            var lease = ToLease(claim, projectId);
            (ApiResponse Response, bool Retried) answer;
            string? verdict = null;
            if (ReviewWork.KindOf(lease.Body) == "review")
            {
                if (!member.Reviewer)
                {
                    tally.Unexpected.Enqueue($"a labeller without the review skill got a review lease: {claim}");
                }

                var review = ReviewWork.AsReview(lease.Body);
                if (others.FirstOrDefault(id => claim.Text.Contains(id, StringComparison.Ordinal)) is { } shown)
                {
                    tally.Unexpected.Enqueue($"a review lease shows the worker id {shown}: {claim}");
                }

                var decided = JsonNode.DeepEquals(review.Result, Truth(review.Payload["n"]!.GetValue<int>())) ? "accept" : "reject";
                verdict = decided;
                answer = await RetriedAsync(() => VerdictAsync(worker, lease.LeaseId, decided), tally);
            }
            else
            {
                var result = member.AnswersBadly ? new JsonObject { ["label"] = "wrong" } : Truth(lease.Body["payload"]!["n"]!.GetValue<int>());
                answer = await RetriedAsync(() => SubmitJsonAsync(worker.Client, worker.Id, lease.LeaseId, result.ToJsonString()), tally);
            }

            Interlocked.Increment(ref tally.Calls);
            if ((answer.Response.Status == HttpStatusCode.OK && answer.Response.Json["taskId"]?.GetValue<string>() == lease.TaskId) ||
                (answer.Retried && answer.Response.Status == HttpStatusCode.Conflict && answer.Response.Text.Contains("lease-not-active", StringComparison.Ordinal)))
            {
                if (verdict is null)
                {
                    tally.Labelled.Add((lease.TaskId, worker.Id));
                }
                else
                {
                    tally.Reviewed.Add((lease.TaskId, worker.Id, verdict));
                }
            }
            else if (answer.Response.Status == HttpStatusCode.Conflict && answer.Response.Text.Contains("lease-", StringComparison.Ordinal))
            {
                // A rejection that dead-letters a task ends the other leases on it.
                Interlocked.Increment(ref tally.EndedLeases);
            }
            else
            {
                tally.Unexpected.Enqueue(answer.Response.ToString());
            }
        }
    }

    /// <summary>
    /// Sends a call again while it answers <c>503</c>, as its detail asks, noting each fault. A submit retried after a
    /// <c>503</c> answers <c>409 lease-not-active</c> when the first attempt was stored after all.
    /// </summary>
    private static async Task<(ApiResponse Response, bool Retried)> RetriedAsync(Func<Task<ApiResponse>> call, Tally tally)
    {
        var answer = await call();
        var retried = false;
        for (var tries = 0; answer.Status == HttpStatusCode.ServiceUnavailable && tries < 20; tries++)
        {
            tally.Faults.Enqueue(answer.ToString());
            await Task.Delay(500, CancellationToken.None);
            answer = await call();
            retried = true;
        }

        return (answer, retried);
    }

    /// <summary>
    /// While the crowd works: the owner pays bonuses to workers who have labelled (each sent twice with one key, paid
    /// once), the admin pays out part of a worker's balance. Payouts are made one at a time here, so a balance read
    /// before a payout can only have grown by then.
    /// </summary>
    private async Task PayAsync(Requester owner, List<Member> members, string projectId, Tally tally, CancellationToken stop)
    {
        var random = new Random(13);
        for (var round = 0; !stop.IsCancellationRequested; round++)
        {
            await Task.Delay(100, CancellationToken.None);
            var labelled = tally.Labelled.Select(l => l.WorkerId).Distinct().ToList();
            if (labelled.Count > 0)
            {
                var workerId = labelled[random.Next(labelled.Count)];
                var amount = BonusAmounts[round % BonusAmounts.Length];
                var key = $"bonus-{round}";
                var (first, retried) = await RetriedAsync(() => BonusAsync(owner.Client, workerId, projectId, amount, key), tally);
                var (again, _) = await RetriedAsync(() => BonusAsync(owner.Client, workerId, projectId, amount, key), tally);
                if ((first.Status == HttpStatusCode.Created || (retried && first.Status == HttpStatusCode.OK)) && again.Status == HttpStatusCode.OK &&
                    first.Json["bonusId"]?.GetValue<string>() == again.Json["bonusId"]?.GetValue<string>())
                {
                    tally.Bonuses.AddOrUpdate(workerId, amount, (_, sum) => sum + amount);
                }
                else
                {
                    tally.Unexpected.Enqueue($"bonus: {first} then {again}");
                }
            }

            var payee = members[random.Next(members.Count)].Worker.Id;
            var (view, _) = await RetriedAsync(() => Admin.GetApiAsync(WorkerPath(payee)), tally);
            var balance = Decimal(view.Is(HttpStatusCode.OK)["earnings"]!["balance"], "earnings.balance");
            if (balance > 0m)
            {
                var amount = Math.Min(balance, 0.07m);
                var (paid, retried) = await RetriedAsync(() => PayoutAsync(Admin, payee, amount, $"payout-{round}"), tally);
                if (paid.Status == HttpStatusCode.Created || (retried && paid.Status == HttpStatusCode.OK))
                {
                    tally.Payouts.AddOrUpdate(payee, amount, (_, sum) => sum + amount);
                }
                else
                {
                    tally.Unexpected.Enqueue($"payout of {amount} from a balance of {balance}: {paid}");
                }
            }
        }
    }

    /// <summary>
    /// Asserts every task ended completed or dead-lettered, every stored verdict is a crowd verdict that a reviewer
    /// sent, by someone who did not submit to the task, and agrees with the truth; returns every submission view.
    /// </summary>
    private async Task<List<JsonNode>> AssertTasksAndReviewsAsync(Requester owner, string projectId, Tally tally)
    {
        var counts = (await GetProjectAsync(owner.Client, projectId))["counts"]!;
        var (completed, deadLettered) = (counts["completed"]!.GetValue<int>(), counts["deadLettered"]!.GetValue<int>());
        Assert.Equal((TaskCount, 0, TaskCount, 0), (counts["total"]!.GetValue<int>(), counts["open"]!.GetValue<int>(), completed + deadLettered, counts["activeLeases"]!.GetValue<int>()));
        output.WriteLine($"{completed} completed, {deadLettered} dead-lettered");

        var all = new List<JsonNode>();
        foreach (var state in new[] { "accepted", "rejected", "pending" })
        {
            var listed = await SubmissionsAsync(owner.Client, projectId, state, limit: 170);
            Assert.All(listed, s => Assert.Equal(state, StateOf(s)));
            all.AddRange(listed);
        }

        var pairs = all.Select(s => (TaskId: s["taskId"]!.GetValue<string>(), WorkerId: s["workerId"]!.GetValue<string>())).ToList();
        Assert.True(pairs.Distinct().Count() == pairs.Count, "a worker has two submissions on one task");
        Assert.True(pairs.ToHashSet().SetEquals(tally.Labelled), $"{pairs.Count} submissions stored, {tally.Labelled.Count} acknowledged: they differ");
        var submitted = pairs.ToHashSet();

        var wrong = new List<string>();
        var stored = new List<(string TaskId, string ReviewerId, string Verdict)>();
        foreach (var submission in all.Where(s => StateOf(s) != "pending"))
        {
            var (taskId, workerId) = (submission["taskId"]!.GetValue<string>(), submission["workerId"]!.GetValue<string>());
            var review = submission["review"];
            var reviewerId = review?["reviewerId"]?.GetValue<string>();
            var verdict = review?["verdict"]?.GetValue<string>();
            var right = JsonNode.DeepEquals(submission["result"], Truth(N(taskId)));
            if (review?["by"]?.GetValue<string>() != "crowd" || reviewerId is null || reviewerId == workerId ||
                submitted.Contains((taskId, reviewerId)) || verdict != (StateOf(submission) == "accepted" ? "accept" : "reject") ||
                right != (verdict == "accept"))
            {
                wrong.Add(submission.ToJsonString());
            }
            else
            {
                stored.Add((taskId, reviewerId, verdict));
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} decided submissions break the rules (by crowd, a reviewer who did not submit to the task, a verdict that matches the truth), e.g. {string.Join(Environment.NewLine, wrong.Take(3))}");
        Assert.Equal(tally.Reviewed.OrderBy(r => r), stored.OrderBy(r => r));

        // Each task: completed with overlap accepted submissions and nothing pending, or dead-lettered after
        // maxAttempts rejections. No lease expires or is released here, so a completed task's failed attempts are
        // exactly its rejections.
        var byTask = all.ToLookup(s => s["taskId"]!.GetValue<string>());
        var badTasks = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, TaskCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var taskId = $"t-{i}";
            var view = await GetTaskAsync(owner.Client, projectId, taskId);
            var mine = byTask[taskId].ToList();
            var accepted = mine.Count(s => StateOf(s) == "accepted");
            var rejected = mine.Count(s => StateOf(s) == "rejected");
            var pending = mine.Count(s => StateOf(s) == "pending");
            // A dead-lettered task's leftover pending submission may still be reviewed, and the leases its
            // dead-lettering ended are not the contract's business here, so there only lower bounds hold.
            var fine = StateOf(view) switch
            {
                "completed" => accepted == Overlap && pending == 0 && FailedAttempts(view) == rejected,
                "deadLettered" => rejected >= MaxAttempts && accepted < Overlap && FailedAttempts(view) >= MaxAttempts,
                _ => false,
            };
            if (!fine || view["submissions"]!.AsArray().Count != mine.Count)
            {
                badTasks.Add($"{accepted} accepted, {rejected} rejected, {pending} pending listed: {view.ToJsonString()}");
            }
        });
        Assert.True(badTasks.IsEmpty, $"{badTasks.Count} tasks ended wrongly, e.g. {badTasks.FirstOrDefault()}");
        return all;
    }

    /// <summary>
    /// For every worker: the whole ledger is accepted rewards + review rewards + bonuses - payouts, agrees with the
    /// worker view, and the stats count its verdicts; the platform's total is the sum over workers.
    /// </summary>
    private async Task AssertMoneyAddsUpAsync(List<Member> members, List<JsonNode> submissions, Tally tally)
    {
        int Count(string workerId, string state) =>
            submissions.Count(s => s["workerId"]!.GetValue<string>() == workerId && StateOf(s) == state);
        int Reviews(string workerId) =>
            submissions.Count(s => s["review"]?["reviewerId"]?.GetValue<string>() == workerId);

        var sums = new ConcurrentDictionary<string, decimal>();
        var disagreements = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(members, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (member, _) =>
        {
            var id = member.Worker.Id;
            var ledger = await LedgerAsync(member.Worker.Client, id, limit: 7);
            await AssertLedgerAddsUpAsync(id, ledger);
            var (accepted, rejected, pending, reviews) = (Count(id, "accepted"), Count(id, "rejected"), Count(id, "pending"), Reviews(id));
            var bonuses = tally.Bonuses.GetValueOrDefault(id);
            var payouts = tally.Payouts.GetValueOrDefault(id);
            var expected = (Reward * accepted) + (ReviewReward * reviews) + bonuses - payouts;
            var sum = ledger.Sum(e => e.Amount);
            sums[id] = sum;
            var view = await GetWorkerAsync(Admin, id);
            var earnings = view["earnings"]!;
            var stats = view["stats"]!;
            var actual = (
                sum,
                Rewards: ledger.Count(e => e.Kind == "reward" && e.Amount == Reward),
                ReviewRewards: ledger.Count(e => e.Kind == "reviewReward" && e.Amount == ReviewReward),
                Bonuses: ledger.Where(e => e.Kind == "bonus").Sum(e => e.Amount),
                Payouts: -ledger.Where(e => e.Kind == "payout").Sum(e => e.Amount),
                Balance: Decimal(earnings["balance"], "earnings.balance"),
                Pending: Decimal(earnings["pending"], "earnings.pending"),
                Accepted: stats["accepted"]!.GetValue<int>(),
                Rejected: stats["rejected"]!.GetValue<int>());
            var wanted = (expected, accepted, reviews, bonuses, payouts, expected, Reward * pending, accepted, rejected);
            if (actual != wanted || ledger.Count != accepted + reviews + ledger.Count(e => e.Kind is "bonus" or "payout"))
            {
                disagreements.Add($"{id}: expected {wanted}, got {actual}; ledger kinds {string.Join(",", ledger.Select(e => e.Kind))}");
            }
        });
        Assert.True(disagreements.IsEmpty, $"{disagreements.Count} workers' money does not add up, e.g. {string.Join(Environment.NewLine, disagreements.Take(5))}");

        var acceptedCount = submissions.Count(s => StateOf(s) == "accepted");
        var reviewCount = submissions.Count(s => s["review"] is not null);
        var platform = (Reward * acceptedCount) + (ReviewReward * reviewCount) + tally.Bonuses.Values.Sum() - tally.Payouts.Values.Sum();
        Assert.Equal(platform, sums.Values.Sum());
        Assert.True(tally.Bonuses.Count > 0 && tally.Payouts.Count > 0, $"the run paid {tally.Bonuses.Count} bonuses and {tally.Payouts.Count} payouts; it should pay some of each");
        Assert.True(tally.Reviewed.Any(r => r.Verdict == "reject"), "no submission was rejected, so rework was never exercised");
    }
}

/// <summary>The two-stage crowd on in-memory storage, alone with the other crowds.</summary>
[Collection(CrowdCollection.Name)]
public sealed class TwoStageCrowdTests_Memory(TierMemoryHost host, ITestOutputHelper output) : TwoStageCrowdTests(output), IClassFixture<TierMemoryHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>The two-stage crowd on PostgreSQL storage, on a database of its own.</summary>
[Collection(CrowdCollection.Name)]
public sealed class TwoStageCrowdTests_Postgres(PostgresServer postgres, TierPostgresHost host, ITestOutputHelper output)
    : TwoStageCrowdTests(output), IClassFixture<TierPostgresHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
