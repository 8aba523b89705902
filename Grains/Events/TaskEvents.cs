using Dispatch.Events;
using Dispatch.Grains.Storage;
using Dispatch.Tasks;

namespace Dispatch.Grains.Events;

public static class TaskEvents
{
    /// <summary>The events one stored change of a task amounts to, in the order they happened.</summary>
    public static IEnumerable<DispatchEvent> Of(string projectId, TaskRecord before, TaskChange change, DateTimeOffset at)
    {
        var taskId = before.TaskId;

        // A review lease is not work on the task: it has no task.leased or task.submitted of its own, and its verdict
        // is told as submission.accepted or submission.rejected. Its end unfinished is a lease event like any other.
        if (change.NewLease is { IsReview: false } lease)
        {
            yield return new DispatchEvent(EventTypes.TaskLeased, projectId, taskId, lease.WorkerId, lease.LeaseId, at, null);
        }

        foreach (var ended in change.UpdatedLeases)
        {
            var type = ended.State switch
            {
                LeaseState.Expired => EventTypes.LeaseExpired,
                LeaseState.Released => EventTypes.LeaseReleased,
                LeaseState.Submitted when !ended.IsReview => EventTypes.TaskSubmitted,
                _ => null,
            };
            if (type is not null)
            {
                yield return new DispatchEvent(type, projectId, taskId, ended.WorkerId, ended.LeaseId, at, null);
            }
        }

        // Only a review decides a submission: a project without one stores its submissions accepted and adds no event.
        if (change.DecidedSubmission is { Review: { } review } decided)
        {
            var type = decided.State == SubmissionState.Accepted ? EventTypes.SubmissionAccepted : EventTypes.SubmissionRejected;
            yield return new DispatchEvent(type, projectId, taskId, decided.WorkerId, decided.LeaseId, at, $$"""{"by":"{{ReviewerNames.Of(review.By)}}"}""");
        }

        if (change.Completes)
        {
            yield return new DispatchEvent(EventTypes.TaskCompleted, projectId, taskId, null, null, at, null);
        }

        if (before.State == TaskState.Open && change.State == TaskState.DeadLettered)
        {
            yield return new DispatchEvent(EventTypes.TaskDeadLettered, projectId, taskId, null, null, at, null);
        }

        if (before.State == TaskState.DeadLettered && change.State == TaskState.Open)
        {
            yield return new DispatchEvent(EventTypes.TaskRetried, projectId, taskId, null, null, at, null);
        }
    }

    /// <summary>True when the change accepted a submission (stored accepted, or a verdict): dynamic overlap may add a slot.</summary>
    public static bool AcceptsAnAnswer(TaskChange change) =>
        change.NewSubmission?.State == SubmissionState.Accepted || change.DecidedSubmission?.State == SubmissionState.Accepted;

    /// <summary>
    /// True when the change offers reviewers something new (crowd review): a submission stored pending, or a review
    /// lease ended without a verdict.
    /// </summary>
    public static bool FreesReviewWork(TaskChange change) =>
        change.NewSubmission?.State == SubmissionState.Pending
        || change.UpdatedLeases.Any(l => l.IsReview && l.State is LeaseState.Expired or LeaseState.Released);

    /// <summary>True when the change gave a slot back to waiting workers: a lease ended early, a rejection, or a retry.</summary>
    public static bool FreesWork(TaskRecord before, TaskChange change) =>
        change.State == TaskState.Open
        && (before.State == TaskState.DeadLettered
            || change.UpdatedLeases.Any(l => l.State is LeaseState.Expired or LeaseState.Released)
            || change.DecidedSubmission?.State == SubmissionState.Rejected);
}
