using System.Text.Json.Nodes;
using Dispatch.Tests.Infrastructure;
using Xunit.Sdk;

namespace Dispatch.Tests.CrowdReview;

/// <summary>A review lease as the claim answered it: the item's task, the result under review, the whole answer.</summary>
public sealed record ReviewLease(string LeaseId, string ProjectId, string TaskId, DateTimeOffset ExpiresAt, JsonNode Payload, JsonNode? Result, JsonNode Body);

/// <summary>
/// Reading review leases and writing verdicts (docs/api.md, Review, crowd mode), shared by the suites that derive from
/// different bases (money helpers, tier routing).
/// </summary>
internal static class ReviewWork
{
    /// <summary>The lease's <c>kind</c>; fails when it has none, since every lease of 1.1 carries one.</summary>
    public static string KindOf(JsonNode lease) =>
        lease["kind"]?.GetValue<string>() ?? throw new XunitException($"A lease without kind: {lease.ToJsonString()}");

    /// <summary>Asserts that a lease already checked as a lease is a review lease with a result, and reads it.</summary>
    public static ReviewLease AsReview(JsonNode lease)
    {
        Assert.True(KindOf(lease) == "review", $"expected a review lease: {lease.ToJsonString()}");
        var review = lease["review"] as JsonObject ?? throw new XunitException($"A review lease without review: {lease.ToJsonString()}");
        Assert.True(review.ContainsKey("result"), $"review has no result: {lease.ToJsonString()}");
        Assert.True(lease.AsObject().ContainsKey("payload"), $"a review lease without the task's payload: {lease.ToJsonString()}");
        return new ReviewLease(
            lease["leaseId"]!.GetValue<string>(),
            lease["projectId"]!.GetValue<string>(),
            lease["taskId"]!.GetValue<string>(),
            ApiAssert.IsUtcTimestamp(lease["expiresAt"], "expiresAt"),
            lease["payload"]!,
            review["result"],
            lease);
    }

    /// <summary>The raw JSON of a review lease's <c>result</c>: <c>{verdict, comment?}</c>.</summary>
    public static string Verdict(string verdict, string? comment = null)
    {
        var body = new JsonObject { ["verdict"] = verdict };
        if (comment is not null)
        {
            body["comment"] = comment;
        }

        return body.ToJsonString();
    }

    /// <summary>Asserts that none of <paramref name="ids"/> occurs anywhere in <paramref name="text"/>.</summary>
    public static void Hides(string text, IEnumerable<string> ids, string what)
    {
        foreach (var id in ids)
        {
            Assert.False(text.Contains(id, StringComparison.Ordinal), $"{what} shows the submitter's id {id}: {text}");
        }
    }
}
