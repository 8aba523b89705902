using System.Collections.Immutable;
using Dispatch.Grains.Storage;
using Dispatch.Projects;
using Dispatch.Tasks;

namespace Dispatch.Grains.Aggregation;

/// <summary>
/// A completed task's aggregate as task views and the results export show it: in a Dawid-Skene project the last
/// run's estimate for the tasks it covered, otherwise the majority of the accepted submissions, computed as it is read
/// (a few answers per task cost less to count than to store). Open and dead-lettered tasks have none.
/// </summary>
public sealed class TaskAggregates(ITaskEstimateStore estimates)
{
    public async Task<TaskView> ViewAsync(string projectId, AggregationRule? rule, TaskRecord task) =>
        (await ViewsAsync(projectId, rule, [task]))[0];

    public async Task<ImmutableArray<TaskView>> ViewsAsync(string projectId, AggregationRule? rule, IReadOnlyList<TaskRecord> tasks)
    {
        var aggregates = await OfAsync(projectId, rule, [.. tasks.Select(t => (t.TaskId, t.State == TaskState.Completed, (IEnumerable<SubmissionRecord>)t.Submissions))]);
        return [.. tasks.Select((t, i) => t.ToView() with { Aggregate = aggregates[i] })];
    }

    public async Task<ImmutableArray<CompletedTask>> ResultsAsync(string projectId, AggregationRule? rule, IReadOnlyList<CompletedTaskRecord> tasks)
    {
        var aggregates = await OfAsync(projectId, rule, [.. tasks.Select(t => (t.TaskId, true, (IEnumerable<SubmissionRecord>)t.Submissions))]);
        return [.. tasks.Select((t, i) => new CompletedTask(t.TaskId, t.PayloadJson, [.. t.Submissions.Select(s => s.ToView())], t.CompletedAt, aggregates[i]))];
    }

    private async Task<AggregateView?[]> OfAsync(string projectId, AggregationRule? rule, IReadOnlyList<(string TaskId, bool Completed, IEnumerable<SubmissionRecord> Submissions)> tasks)
    {
        var aggregates = new AggregateView?[tasks.Count];
        if (rule is null)
        {
            return aggregates;
        }

        for (var i = 0; i < tasks.Count; i++)
        {
            if (tasks[i].Completed && MajorityVote.Of(tasks[i].Submissions.Where(s => s.State == SubmissionState.Accepted).Select(s => s.ResultJson), rule.Field) is { } majority)
            {
                aggregates[i] = new AggregateView(majority.ValueJson, majority.Confidence, AggregationMethod.Majority);
            }
        }

        var aggregated = tasks.Where((_, i) => aggregates[i] is not null).Select(t => t.TaskId).ToList();
        if (rule.Method != AggregationMethod.DawidSkene || aggregated.Count == 0)
        {
            return aggregates;
        }

        // Tasks completed after the last run are not in it and keep their majority until the next run.
        var estimated = await estimates.GetAsync(projectId, aggregated);
        for (var i = 0; i < tasks.Count; i++)
        {
            if (aggregates[i] is not null && estimated.TryGetValue(tasks[i].TaskId, out var estimate))
            {
                aggregates[i] = new AggregateView(estimate.ValueJson, estimate.Confidence, AggregationMethod.DawidSkene);
            }
        }

        return aggregates;
    }
}
