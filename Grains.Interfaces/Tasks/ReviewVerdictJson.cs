using System.Text;
using System.Text.Json;

namespace Dispatch.Tasks;

/// <summary>
/// The result of a review lease: <c>{verdict: "accept"|"reject", comment?}</c>. It is read where the lease is known to
/// be a review lease, in its task, so a worker that submits a labelling result to a review lease is told so with
/// <c>400 validation</c> and nothing is stored.
/// </summary>
public static class ReviewVerdictJson
{
    /// <summary>As long as a requester's review comment may be.</summary>
    public const int MaxCommentBytes = 4096;

    public const string Expected =
        "result: a review lease takes {\"verdict\": \"accept\" | \"reject\", \"comment\"?: string of at most 4096 UTF-8 bytes, without NUL}.";

    public sealed record Parsed(ReviewVerdict Verdict, string? Comment);

    /// <summary>The verdict, or null when the result is anything else.</summary>
    public static Parsed? Parse(string resultJson)
    {
        try
        {
            using var document = JsonDocument.Parse(resultJson);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("verdict", out var verdictJson)
                || verdictJson.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            ReviewVerdict? verdict = verdictJson.GetString() switch
            {
                "accept" => ReviewVerdict.Accept,
                "reject" => ReviewVerdict.Reject,
                _ => null,
            };
            string? comment = null;
            if (root.TryGetProperty("comment", out var commentJson) && commentJson.ValueKind != JsonValueKind.Null)
            {
                if (commentJson.ValueKind != JsonValueKind.String)
                {
                    return null;
                }

                // Stored as text: PostgreSQL keeps no NUL in it, so no backend stores one.
                comment = commentJson.GetString();
                if (Encoding.UTF8.GetByteCount(comment!) > MaxCommentBytes || comment!.Contains('\0', StringComparison.Ordinal))
                {
                    return null;
                }
            }

            return verdict is { } v ? new Parsed(v, comment) : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is no valid UTF-16 (a lone surrogate escape).
            return null;
        }
    }
}
