namespace Dispatch.Tasks;

/// <summary>How a verdict's author is named on the wire: in events (<c>data.by</c>) and in the submission view.</summary>
public static class ReviewerNames
{
    public static string Of(ReviewerKind by) => by switch
    {
        ReviewerKind.Requester => "requester",
        ReviewerKind.Crowd => "crowd",
        ReviewerKind.Auto => "auto",
        ReviewerKind.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(by), by, null),
    };
}
