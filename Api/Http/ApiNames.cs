using Dispatch.Projects;
using Dispatch.Tasks;

namespace Dispatch.Api;

/// <summary>The camelCase names of stored enums on the wire; the numbers behind them never leave the server.</summary>
public static class ApiNames
{
    public static string Of(ProjectStatus status) => status switch
    {
        ProjectStatus.Open => "open",
        ProjectStatus.Paused => "paused",
        ProjectStatus.Closed => "closed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static string Of(TaskState state) => state switch
    {
        TaskState.Open => "open",
        TaskState.Completed => "completed",
        TaskState.DeadLettered => "deadLettered",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string Of(LeaseState state) => state switch
    {
        LeaseState.Active => "active",
        LeaseState.Submitted => "submitted",
        LeaseState.Expired => "expired",
        LeaseState.Released => "released",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string Of(SubmissionState state) => state switch
    {
        SubmissionState.Pending => "pending",
        SubmissionState.Accepted => "accepted",
        SubmissionState.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string Of(ReviewVerdict verdict) => verdict == ReviewVerdict.Accept ? "accept" : "reject";

    public static string Of(ReviewerKind by) => ReviewerNames.Of(by);

    public static string Of(ReviewMode mode) => mode == ReviewMode.Requester ? "requester" : "crowd";

    public static string Of(AggregationMethod method) => method == AggregationMethod.Majority ? "majority" : "dawidSkene";

    public static AggregationMethod? ParseAggregationMethod(string? name) => name switch
    {
        "majority" => AggregationMethod.Majority,
        "dawidSkene" => AggregationMethod.DawidSkene,
        _ => null,
    };

    public static SubmissionState? ParseSubmissionState(string? name) => name switch
    {
        "pending" => SubmissionState.Pending,
        "accepted" => SubmissionState.Accepted,
        "rejected" => SubmissionState.Rejected,
        _ => null,
    };

    public static ReviewVerdict? ParseVerdict(string? name) => name switch
    {
        "accept" => ReviewVerdict.Accept,
        "reject" => ReviewVerdict.Reject,
        _ => null,
    };

    public static ProjectStatus? ParseProjectStatus(string? name) => name switch
    {
        "open" => ProjectStatus.Open,
        "paused" => ProjectStatus.Paused,
        "closed" => ProjectStatus.Closed,
        _ => null,
    };

    public static TaskState? ParseTaskState(string? name) => name switch
    {
        "open" => TaskState.Open,
        "completed" => TaskState.Completed,
        "deadLettered" => TaskState.DeadLettered,
        _ => null,
    };
}
