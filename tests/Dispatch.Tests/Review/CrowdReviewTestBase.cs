using System.Net;
using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Dispatch.Tests.Money;
using Xunit.Sdk;

namespace Dispatch.Tests.CrowdReview;

/// <summary>
/// Helpers for crowd review (docs/api.md, Review, crowd mode) on top of the money helpers: crowd projects, certified
/// workers, review leases, verdicts and submission views. Claims always name their project, so tests sharing a host
/// never meet each other's review items.
/// </summary>
public abstract class CrowdReviewTestBase : MoneyTestBase
{
    /// <summary>Project settings with crowd review; <paramref name="extra"/> are more members of the project (JSON, no braces).</summary>
    protected static string CrowdProject(string? reviewRequirements = null, decimal reviewReward = 0m, string? extra = null)
    {
        var review = new JsonObject { ["mode"] = "crowd", ["reward"] = reviewReward };
        if (reviewRequirements is not null)
        {
            review["requirements"] = JsonNode.Parse(reviewRequirements);
        }

        return "{\"review\":" + review.ToJsonString() + (extra is null ? "" : "," + extra) + "}";
    }

    /// <summary>A JSON array of requirements <c>[{skill, minLevel}]</c>.</summary>
    protected static string Requirements(params (string Skill, int MinLevel)[] requirements) =>
        new JsonArray([.. requirements.Select(r => (JsonNode)new JsonObject { ["skill"] = r.Skill, ["minLevel"] = r.MinLevel })]).ToJsonString();

    /// <summary>A fresh worker holding the given certifications (admin grants).</summary>
    protected async Task<Worker> CertifiedWorkerAsync(params (string Skill, int Level)[] certifications)
    {
        var worker = await CreateWorkerAsync();
        foreach (var (skill, level) in certifications)
        {
            (await Admin.PutApiAsync(CertificationPath(worker.Id, skill), new { level })).Is(HttpStatusCode.OK);
        }

        return worker;
    }

    /// <summary>Claims in <paramref name="projectId"/> and asserts a task lease (<c>kind: "task"</c>).</summary>
    protected static async Task<Lease> ClaimTaskAsync(Worker worker, string projectId)
    {
        var lease = ToLease(await ClaimAsync(worker, projectId), projectId);
        Assert.True(ReviewWork.KindOf(lease.Body) == "task", $"expected a task lease: {lease.Body.ToJsonString()}");
        return lease;
    }

    /// <summary>Claims in <paramref name="projectId"/> and asserts a review lease.</summary>
    protected static async Task<ReviewLease> ClaimReviewAsync(Worker reviewer, string projectId) =>
        ReviewWork.AsReview(ToLease(await ClaimAsync(reviewer, projectId), projectId).Body);

    /// <summary>Claims in <paramref name="projectId"/> and asserts <c>204</c>, quoting the answer and <paramref name="because"/>.</summary>
    protected static async Task AssertNothingToClaimAsync(Worker worker, string projectId, string because)
    {
        var response = await ClaimAsync(worker, projectId);
        if (response.Status != HttpStatusCode.NoContent)
        {
            throw new XunitException($"Expected 204 ({because}), got: {response}");
        }
    }

    /// <summary>A labeller's claim and submit of <paramref name="result"/>; returns the task lease.</summary>
    protected static async Task<Lease> LabelAsync(Worker labeller, string projectId, object result)
    {
        var lease = await ClaimTaskAsync(labeller, projectId);
        await SubmitOkAsync(labeller, lease, result);
        return lease;
    }

    protected static Task<ApiResponse> VerdictAsync(Worker reviewer, string leaseId, string verdict, string? comment = null) =>
        SubmitJsonAsync(reviewer.Client, reviewer.Id, leaseId, ReviewWork.Verdict(verdict, comment));

    /// <summary>Gives a verdict through the review lease and asserts <c>200</c> naming the lease's task.</summary>
    protected static async Task VerdictOkAsync(Worker reviewer, ReviewLease lease, string verdict, string? comment = null)
    {
        var body = (await VerdictAsync(reviewer, lease.LeaseId, verdict, comment)).Is(HttpStatusCode.OK);
        Assert.Equal(lease.TaskId, body["taskId"]?.GetValue<string>());
    }

    /// <summary>The submission of <paramref name="workerId"/> in a task view.</summary>
    protected static JsonNode SubmissionOf(JsonNode task, string workerId) =>
        task["submissions"]!.AsArray().SingleOrDefault(s => s!["workerId"]!.GetValue<string>() == workerId)
        ?? throw new XunitException($"{workerId} has no submission in {task.ToJsonString()}");

    /// <summary>Every submission view of the project in <paramref name="state"/>, all pages, oldest first.</summary>
    protected static async Task<List<JsonNode>> SubmissionsAsync(HttpClient client, string projectId, string state, int limit = 1000)
    {
        var all = new List<JsonNode>();
        string? after = null;
        for (var pages = 0; pages < 10_000; pages++)
        {
            var path = $"{ProjectPath(projectId)}/submissions?state={state}&limit={limit}{(after is null ? "" : "&after=" + Uri.EscapeDataString(after))}";
            var page = (await client.GetApiAsync(path)).Is(HttpStatusCode.OK);
            all.AddRange(page["items"]!.AsArray().Select(i => i!));
            after = page["next"]?.GetValue<string>();
            if (after is null)
            {
                return all;
            }
        }

        throw new XunitException("The submission listing never ended.");
    }

    /// <summary>The one listed submission of <paramref name="workerId"/> on <paramref name="taskId"/> in <paramref name="state"/>.</summary>
    protected static async Task<JsonNode> ListedSubmissionAsync(HttpClient client, string projectId, string state, string taskId, string workerId)
    {
        var listed = await SubmissionsAsync(client, projectId, state);
        return listed.SingleOrDefault(s => s["taskId"]!.GetValue<string>() == taskId && s["workerId"]!.GetValue<string>() == workerId)
            ?? throw new XunitException($"No {state} submission of {workerId} on {taskId}: {new JsonArray([.. listed.Select(s => s.DeepClone())]).ToJsonString()}");
    }

    /// <summary>Asserts a submission view decided by the crowd: its state, the verdict, <c>by: "crowd"</c>, the reviewer and the comment.</summary>
    protected static void AssertCrowdVerdict(JsonNode submission, string state, string verdict, string reviewerId, string? comment)
    {
        Assert.Equal(state, StateOf(submission));
        var review = submission["review"] ?? throw new XunitException($"A decided submission without review: {submission.ToJsonString()}");
        Assert.Equal(
            (verdict, "crowd", reviewerId),
            (review["verdict"]?.GetValue<string>(), review["by"]?.GetValue<string>(), review["reviewerId"]?.GetValue<string>()));
        Assert.Equal(comment, review["comment"]?.GetValue<string>());
        ApiAssert.IsUtcTimestamp(review["at"], "review.at");
    }

    /// <summary>The requester-mode verdict call, which crowd mode refuses to requesters and grants to the admin.</summary>
    protected static Task<ApiResponse> RequesterVerdictAsync(HttpClient client, string projectId, string taskId, string workerId, string verdict) =>
        client.PostApiAsync($"{TaskPath(projectId, taskId)}/submissions/{Segment(workerId)}/review", new { verdict });

    /// <summary>The worker's active leases as <c>GET /v1/workers/{w}/leases</c> answers them.</summary>
    protected static async Task<List<JsonNode>> ActiveLeasesAsync(Worker worker) =>
        [.. (await worker.Client.GetApiAsync(LeasesPath(worker.Id))).Is(HttpStatusCode.OK)["items"]!.AsArray().Select(i => i!)];

    /// <summary>Opens a project's event stream as <paramref name="client"/>; asserts it opened.</summary>
    protected static async Task<Work.SseReader> EventsAsync(HttpClient client, string projectId)
    {
        var (reader, refusal) = await Work.SseReader.OpenAsync(client, $"{ProjectPath(projectId)}/events");
        Assert.True(reader is not null, $"could not open the events of {projectId}: {refusal}");
        return reader;
    }
}
