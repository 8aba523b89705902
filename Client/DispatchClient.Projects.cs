using System.Globalization;

namespace Dispatch.Client;

// Projects and their tasks: the owning requester's calls (or the admin's).
public sealed partial class DispatchClient
{
    /// <summary><c>POST /v1/projects</c>. Not retried after a lost answer: a second attempt would answer <c>409 conflict</c>.</summary>
    public async Task<Project> CreateProjectAsync(NewProject project, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "v1/projects", project, Json.NewProject, Replay.WhenNotReceived, Json.Project, cancellationToken))!;

    /// <summary><c>GET /v1/projects</c>: the caller's own (the admin: all).</summary>
    public async Task<IReadOnlyList<Project>> ListProjectsAsync(CancellationToken cancellationToken = default) =>
        (await GetAsync("v1/projects", Json.ProjectList, cancellationToken)).Items;

    /// <summary><c>GET /v1/projects/{projectId}</c>: settings, status and counts.</summary>
    public Task<Project> GetProjectAsync(string projectId, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/projects/{Escape(projectId)}", Json.Project, cancellationToken);

    /// <summary><c>PATCH /v1/projects/{projectId}</c>: sets the given settings, so sending it twice is harmless.</summary>
    public async Task<Project> UpdateProjectAsync(string projectId, ProjectChanges changes, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Patch, $"v1/projects/{Escape(projectId)}", changes, Json.ProjectChanges, Replay.Safe, Json.Project, cancellationToken))!;

    /// <summary>
    /// <c>POST /v1/projects/{projectId}/tasks</c>: one import call (at most 10,000 tasks by default; see
    /// <see cref="DispatchImports.ImportAllAsync"/> for more). Retried only when every task carries an id: the server then
    /// counts a repeat as <c>existing</c>, while generated ids would make a repeat import the tasks twice.
    /// </summary>
    public async Task<ImportResult> ImportTasksAsync(string projectId, IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken = default)
    {
        var replay = tasks.All(t => t.Id is not null) ? Replay.Safe : Replay.WhenNotReceived;
        return (await SendAsync(HttpMethod.Post, $"v1/projects/{Escape(projectId)}/tasks", new ImportBody(tasks), Json.ImportBody, replay, Json.ImportResult, cancellationToken))!;
    }

    /// <summary><c>GET /v1/projects/{projectId}/tasks/{taskId}</c>: state, leases and submissions.</summary>
    public Task<TaskView> GetTaskAsync(string projectId, string taskId, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/projects/{Escape(projectId)}/tasks/{Escape(taskId)}", Json.TaskView, cancellationToken);

    /// <summary><c>GET /v1/projects/{projectId}/tasks</c>: one page of tasks, optionally only those in <paramref name="state"/>.</summary>
    /// <param name="limit">1..1000. Default: 100.</param>
    public Task<Page<TaskView>> ListTasksAsync(string projectId, TaskState? state = null, string? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/projects/{Escape(projectId)}/tasks{Query(("state", StateName(state)), ("after", after), ("limit", Number(limit)))}", Json.PageTaskView, cancellationToken);

    /// <summary><c>POST /v1/projects/{projectId}/tasks/{taskId}/retry</c>: a dead-lettered task back to open.</summary>
    public async Task<TaskView> RetryTaskAsync(string projectId, string taskId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/projects/{Escape(projectId)}/tasks/{Escape(taskId)}/retry", null, Replay.WhenNotReceived, Json.TaskView, cancellationToken))!;

    /// <summary>
    /// <c>GET /v1/projects/{projectId}/results</c>: one page of completed tasks in completion order; see
    /// <see cref="DispatchResults.ExportResultsAsync"/> to read them all.
    /// </summary>
    /// <param name="limit">1..1000. Default: 100.</param>
    public Task<Page<CompletedTask>> ListResultsAsync(string projectId, string? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/projects/{Escape(projectId)}/results{Query(("after", after), ("limit", Number(limit)))}", Json.PageCompletedTask, cancellationToken);

    /// <summary>
    /// <c>POST /v1/projects/{projectId}/aggregation/run</c>: starts a Dawid-Skene run, or answers the one under way, so
    /// a retry is harmless.
    /// </summary>
    public async Task<AggregationRun> RunAggregationAsync(string projectId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"v1/projects/{Escape(projectId)}/aggregation/run", null, Replay.Safe, Json.AggregationRun, cancellationToken))!;

    /// <summary><c>GET /v1/projects/{projectId}/aggregation</c>: the state of the project's Dawid-Skene runs.</summary>
    public Task<AggregationRun> GetAggregationAsync(string projectId, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/projects/{Escape(projectId)}/aggregation", Json.AggregationRun, cancellationToken);

    /// <summary><c>GET /v1/projects/{projectId}/submissions</c>: one page of submissions in <paramref name="state"/>, oldest first.</summary>
    /// <param name="state">Default: pending.</param>
    /// <param name="limit">1..1000. Default: 100.</param>
    public Task<Page<ReviewedSubmission>> ListSubmissionsAsync(
        string projectId, SubmissionState? state = null, string? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync($"v1/projects/{Escape(projectId)}/submissions{Query(("state", StateName(state)), ("after", after), ("limit", Number(limit)))}", Json.PageReviewedSubmission, cancellationToken);

    /// <summary>
    /// <c>POST /v1/projects/{projectId}/tasks/{taskId}/submissions/{workerId}/review</c>. Retried safely: the verdict a
    /// submission already has answers it unchanged; the other one throws <c>not-reviewable</c>.
    /// </summary>
    public async Task<ReviewedSubmission> ReviewSubmissionAsync(
        string projectId, string taskId, string workerId, ReviewVerdict verdict, string? comment = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(
            HttpMethod.Post, $"v1/projects/{Escape(projectId)}/tasks/{Escape(taskId)}/submissions/{Escape(workerId)}/review",
            new VerdictBody(verdict, comment), Json.VerdictBody, Replay.Safe, Json.ReviewedSubmission, cancellationToken))!;

    private static string? StateName(SubmissionState? state) => state switch
    {
        null => null,
        SubmissionState.Pending => "pending",
        SubmissionState.Accepted => "accepted",
        SubmissionState.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not a submission state."),
    };

    private static string? StateName(TaskState? state) => state switch
    {
        null => null,
        TaskState.Open => "open",
        TaskState.Completed => "completed",
        TaskState.DeadLettered => "deadLettered",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not a task state."),
    };

    private static string? Number(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Escape(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }
}
