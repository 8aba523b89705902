namespace Dispatch.Grains.Aggregation;

/// <summary>A task's Dawid-Skene estimate: the chosen answer (JSON) and its posterior.</summary>
public sealed record TaskEstimate(string TaskId, string ValueJson, double Confidence);

/// <summary>
/// A project's accepted answers numbered for <see cref="DawidSkene"/>: workers and classes (distinct answer keys) by
/// first appearance, so the same answers in the same order always give the same estimate. A class answers with the
/// JSON of its first submission.
/// </summary>
public sealed class AnswerTable(string? field)
{
    private readonly Dictionary<string, int> _workers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _classes = new(StringComparer.Ordinal);
    private readonly List<string> _classJson = [];
    private readonly List<string> _taskIds = [];
    private readonly List<IReadOnlyList<Vote>> _votes = [];

    /// <summary>Tasks added with at least one answer.</summary>
    public int Tasks => _taskIds.Count;

    /// <summary>Adds a task's answers in stored order; a task without any is left out.</summary>
    public void Add(string taskId, IEnumerable<(string WorkerId, string ResultJson)> answers)
    {
        var votes = new List<Vote>();
        foreach (var (workerId, resultJson) in answers)
        {
            var (json, key) = Answers.Of(resultJson, field);
            if (!_classes.TryGetValue(key, out var answer))
            {
                _classes.Add(key, answer = _classJson.Count);
                _classJson.Add(json);
            }

            if (!_workers.TryGetValue(workerId, out var worker))
            {
                _workers.Add(workerId, worker = _workers.Count);
            }

            votes.Add(new Vote(worker, answer));
        }

        if (votes.Count > 0)
        {
            _taskIds.Add(taskId);
            _votes.Add(votes);
        }
    }

    public IReadOnlyList<TaskEstimate> Estimate(DawidSkene estimator)
    {
        if (Tasks == 0)
        {
            return [];
        }

        var estimate = estimator.Estimate(_votes, _workers.Count, _classJson.Count);
        return [.. _taskIds.Select((taskId, i) => new TaskEstimate(taskId, _classJson[estimate.Classes[i]], estimate.Confidences[i]))];
    }
}
