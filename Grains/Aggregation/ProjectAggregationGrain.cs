using Dispatch.Common;
using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Tasks;
using Microsoft.Extensions.Logging;

namespace Dispatch.Grains.Aggregation;

/// <summary>
/// Runs Dawid-Skene over a project's completed tasks in the background: the run reads them a page at a time through
/// the task store, estimates on the thread pool (not on the grain's turn), stores every estimate at once, and only
/// then records itself as done. A run interrupted by a restart leaves the previous estimates in place; the next call
/// to run starts it again.
/// </summary>
public sealed partial class ProjectAggregationGrain(
    [PersistentState("aggregation", StorageNames.Grains)] IPersistentState<ProjectAggregationState> state,
    ITaskStore tasks,
    ITaskEstimateStore estimates,
    TimeProvider time,
    ILogger<ProjectAggregationGrain> logger) : Grain, IProjectAggregationGrain
{
    private const int PageSize = 1000;

    // Pages are read in this process, never sent as a message, so the bound is only against a page of huge results.
    private const long PageBytes = 64L * 1024 * 1024;

    /// <summary>Longer than any run should take: the activation must outlive its background run.</summary>
    private static readonly TimeSpan KeepAliveWhileRunning = TimeSpan.FromHours(6);

    // Only this activation's own run counts: a stored Running flag without one was interrupted.
    private bool _running;

    private string ProjectId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Running)
        {
            LogInterrupted(logger, ProjectId, state.State.StartedAt);
        }

        return Task.CompletedTask;
    }

    public async Task<Result<AggregationStatus>> RunAsync()
    {
        var info = await GrainFactory.GetReference<IProjectGrain>(ProjectId).GetInfoAsync();
        if (info is null)
        {
            return Result<AggregationStatus>.Fail(ErrorKind.NotFound, $"Project '{ProjectId}' does not exist.");
        }

        if (info.Settings.Aggregation is not { Method: AggregationMethod.DawidSkene } rule)
        {
            return Result<AggregationStatus>.Fail(ErrorKind.Conflict, info.Settings.Aggregation is null
                ? $"Project '{ProjectId}' has no aggregation to run."
                : $"Project '{ProjectId}' aggregates by majority, which is computed as tasks are read; only dawidSkene runs.");
        }

        if (!_running)
        {
            state.State.Running = true;
            state.State.StartedAt = time.GetUtcNow();
            await state.WriteOrDeactivateAsync(this, logger);
            _running = true;
            DelayDeactivation(KeepAliveWhileRunning);
            LogStarted(logger, ProjectId);
            _ = RunInBackgroundAsync(rule.Field);
        }

        return Result<AggregationStatus>.Ok(Status(rule.Method));
    }

    public async Task<AggregationStatus?> GetStatusAsync()
    {
        var info = await GrainFactory.GetReference<IProjectGrain>(ProjectId).GetInfoAsync();
        return info is null ? null : Status(info.Settings.Aggregation?.Method);
    }

    private AggregationStatus Status(AggregationMethod? method) => new(
        method,
        _running ? AggregationRunState.Running : state.State.FinishedAt is null ? AggregationRunState.Idle : AggregationRunState.Done,
        state.State.Tasks,
        state.State.FinishedAt);

    private async Task RunInBackgroundAsync(string? field)
    {
        try
        {
            var table = new AnswerTable(field);
            CompletionCursor? after = null;
            while (true)
            {
                var page = await tasks.ListCompletedAsync(ProjectId, after, PageSize, PageBytes);
                await Task.Run(() => Add(table, page.Items));
                if (!page.More || page.Items.IsEmpty)
                {
                    break;
                }

                after = new CompletionCursor(page.Items[^1].CompletedAt, page.Items[^1].TaskId);
            }

            var found = await Task.Run(() => table.Estimate(new DawidSkene()));
            await estimates.ReplaceAsync(ProjectId, found);
            state.State.Running = false;
            state.State.Tasks = found.Count;
            state.State.FinishedAt = time.GetUtcNow();
            await state.WriteStateAsync();
            LogFinished(logger, ProjectId, found.Count);
        }
        catch (Exception e)
        {
            // The previous estimates and state stay; the run may be asked for again.
            LogFailed(logger, e, ProjectId);
            DeactivateOnIdle();
        }
        finally
        {
            _running = false;
        }
    }

    private static void Add(AnswerTable table, IReadOnlyList<CompletedTaskRecord> page)
    {
        foreach (var task in page)
        {
            table.Add(task.TaskId, task.Submissions.Where(s => s.State == SubmissionState.Accepted).Select(s => (s.WorkerId, s.ResultJson)));
        }
    }
}
