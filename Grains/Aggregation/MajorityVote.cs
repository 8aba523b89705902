namespace Dispatch.Grains.Aggregation;

/// <summary>One answer per task: its value (JSON), the share of the votes it got, and how it was chosen.</summary>
public sealed record AggregateAnswer(string ValueJson, double Confidence);

/// <summary>
/// The majority of a task's accepted answers. A tie goes to the answer that reached the winning count first, in the
/// order the submissions were stored, so the choice never depends on anything but the stored answers.
/// </summary>
public static class MajorityVote
{
    /// <param name="resultsInStoredOrder">The accepted submissions' results, oldest first.</param>
    /// <returns>Null when there is no answer.</returns>
    public static AggregateAnswer? Of(IEnumerable<string> resultsInStoredOrder, string? field)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        string? leaderJson = null;
        var leaderCount = 0;
        var total = 0;
        foreach (var result in resultsInStoredOrder)
        {
            var (json, key) = Answers.Of(result, field);
            var count = counts[key] = counts.GetValueOrDefault(key) + 1;
            total++;

            // Strictly more: an answer that only equals the leader's count reached it later, and loses the tie.
            if (count > leaderCount)
            {
                leaderCount = count;
                leaderJson = json;
            }
        }

        return leaderJson is null ? null : new AggregateAnswer(leaderJson, (double)leaderCount / total);
    }
}
