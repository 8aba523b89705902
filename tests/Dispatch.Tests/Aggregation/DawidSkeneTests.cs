using System.Globalization;
using Dispatch.Grains.Aggregation;
using Xunit.Abstractions;

namespace Dispatch.Tests.Aggregation;

/// <summary>
/// The Dawid-Skene estimate (docs/api.md, Aggregation): better than majority vote where workers differ in skill or
/// lie systematically, the same as majority vote where they are all honest, and exactly the EM of the paper.
/// </summary>
public sealed class DawidSkeneTests(ITestOutputHelper output)
{
    private const int Labels = 5;

    /// <summary>A simulated crowd with known truth, answers drawn with a fixed seed.</summary>
    private sealed record Crowd(int[] Truth, List<IReadOnlyList<Vote>> Tasks, int Workers)
    {
        public double Accuracy(IReadOnlyList<int> chosen) => (double)chosen.Where((label, i) => label == Truth[i]).Count() / Truth.Length;

        public int[] MajorityVote() => [.. Tasks.Select(votes => Majority(votes))];
    }

    /// <param name="answer">A worker's answer given the worker index, the truth and the random source.</param>
    private static Crowd Simulate(int seed, int tasks, int workers, int perTask, Func<int, int, Random, int> answer)
    {
        var random = new Random(seed);
        var truth = new int[tasks];
        var all = new List<IReadOnlyList<Vote>>();
        for (var i = 0; i < tasks; i++)
        {
            truth[i] = random.Next(Labels);
            var chosen = Enumerable.Range(0, workers).OrderBy(_ => random.Next()).Take(perTask);
            all.Add([.. chosen.Select(w => new Vote(w, answer(w, truth[i], random)))]);
        }

        return new Crowd(truth, all, workers);
    }

    /// <summary>Majority vote as the server computes it (ties to the answer that reached the count first).</summary>
    private static int Majority(IReadOnlyList<Vote> votes) =>
        int.Parse(MajorityVote.Of(votes.Select(v => v.Class.ToString(CultureInfo.InvariantCulture)), null)!.ValueJson, CultureInfo.InvariantCulture);

    private static int Wrong(int truth, Random random) => (truth + 1 + random.Next(Labels - 1)) % Labels;

    /// <summary>
    /// 30 workers: 10 answer at random, 4 swap labels on purpose (answer the next label), 16 are honest but of mixed
    /// skill (right 55..85 % of the time, wrong uniformly otherwise); each task gets 5 of them.
    /// </summary>
    private static Crowd MixedCrowd() => Simulate(seed: 1979, tasks: 1000, workers: 30, perTask: 5, (worker, truth, random) => worker switch
    {
        < 10 => random.Next(Labels),
        < 14 => (truth + 1) % Labels,
        _ => random.NextDouble() < 0.55 + (0.30 * (worker - 14) / 15) ? truth : Wrong(truth, random),
    });

    [Fact]
    public void OnACrowdWithRandomAndAdversarialWorkers_BeatsMajorityVoteByAClearMargin()
    {
        var crowd = MixedCrowd();
        var estimate = new DawidSkene().Estimate(crowd.Tasks, crowd.Workers, Labels);

        var majority = crowd.Accuracy(crowd.MajorityVote());
        var dawidSkene = crowd.Accuracy(estimate.Classes);
        var reading = $"Dawid-Skene {dawidSkene:P1} vs majority {majority:P1} after {estimate.Iterations} iterations (converged: {estimate.Converged})";
        output.WriteLine(reading);
        Assert.True(dawidSkene - majority >= 0.20, reading);
    }

    [Fact]
    public void IsDeterministic()
    {
        var crowd = MixedCrowd();
        var first = new DawidSkene().Estimate(crowd.Tasks, crowd.Workers, Labels);
        var second = new DawidSkene().Estimate(crowd.Tasks, crowd.Workers, Labels);
        Assert.Equal(first.Classes, second.Classes);
        Assert.Equal(first.Confidences, second.Confidences);
    }

    [Fact]
    public void OnAnHonestCrowd_ChoosesTheMajorityAnswer()
    {
        // Everyone right 80 % of the time: no one is worth more than anyone else, so majority vote is the best rule.
        var crowd = Simulate(seed: 7, tasks: 1000, workers: 30, perTask: 5, (_, truth, random) => random.NextDouble() < 0.8 ? truth : Wrong(truth, random));
        var estimate = new DawidSkene().Estimate(crowd.Tasks, crowd.Workers, Labels);

        var majority = crowd.MajorityVote();
        var differ = Enumerable.Range(0, majority.Length).Where(i => majority[i] != estimate.Classes[i]).ToList();

        // Where four of five workers agree nothing can outweigh them. Elsewhere each worker's confusion matrix, estimated
        // from about 170 answers spread over 20 cells, may tip a 3-2 split or a tie, which is what Dawid-Skene is for.
        var reading = $"{differ.Count} of 1000 tasks differ from majority vote after {estimate.Iterations} iterations; "
            + $"accuracy: Dawid-Skene {crowd.Accuracy(estimate.Classes):P1}, majority {crowd.Accuracy(majority):P1}";
        output.WriteLine(reading);
        Assert.All(differ, i => Assert.True(crowd.Tasks[i].GroupBy(v => v.Class).Max(g => g.Count()) < 4, $"task {i}: four workers agree but Dawid-Skene chose otherwise"));
        Assert.True(differ.Count <= 30, reading);
    }

    [Fact]
    public void OneIteration_MatchesTheEmStepWorkedOutByHand()
    {
        // Two workers, classes A (0) and B (1); smoothing 1 so that the fractions stay small.
        //   t1: w1 A, w2 A    t2: w1 A, w2 A    t3: w1 A, w2 B
        // Start (vote shares): t1 = t2 = (1, 0), t3 = (1/2, 1/2).
        // M step, counts + 1:
        //   priors: A = 1 + 2.5 = 3.5, B = 1 + 0.5 = 1.5 -> (7/10, 3/10)
        //   w1, truth A: answered A 1 + 2.5, B 1 + 0 -> (7/9, 2/9);  truth B: A 1 + 0.5, B 1 + 0 -> (3/5, 2/5)
        //   w2, truth A: answered A 1 + 2, B 1 + 0.5 -> (2/3, 1/3);  truth B: A 1 + 0, B 1 + 0.5 -> (2/5, 3/5)
        // E step:
        //   t1, t2: A ∝ 7/10 · 7/9 · 2/3 = 49/135, B ∝ 3/10 · 3/5 · 2/5 = 9/125 -> P(A) = 1225 / (1225 + 243) = 1225/1468
        //   t3:     A ∝ 7/10 · 7/9 · 1/3 = 49/270, B ∝ 3/10 · 3/5 · 3/5 = 27/250 -> P(A) = 1225 / (1225 + 729) = 1225/1954
        IReadOnlyList<Vote>[] tasks = [[new(0, 0), new(1, 0)], [new(0, 0), new(1, 0)], [new(0, 0), new(1, 1)]];
        var estimate = new DawidSkene(maxIterations: 1, smoothing: 1).Estimate(tasks, workers: 2, classes: 2);

        Assert.Equal(1, estimate.Iterations);
        Assert.Equal([0, 0, 0], estimate.Classes);
        Assert.Equal(1225.0 / 1468, estimate.Posteriors[0][0], 12);
        Assert.Equal(243.0 / 1468, estimate.Posteriors[0][1], 12);
        Assert.Equal(1225.0 / 1468, estimate.Posteriors[1][0], 12);
        Assert.Equal(1225.0 / 1954, estimate.Posteriors[2][0], 12);
        Assert.Equal(1225.0 / 1954, estimate.Confidences[2], 12);
    }

    [Fact]
    public void AnswerTable_ComparesAnswersAsJson_AndAnswersWithTheFirstSpelling()
    {
        var table = new AnswerTable("label");
        table.Add("t1", [("w1", """{"label":{"a":1,"b":2}}"""), ("w2", """{"label":{ "b":2.0, "a":1 }}""")]);
        table.Add("t2", []);
        table.Add("t3", [("w1", """{"label":"x"}""")]);

        var estimates = table.Estimate(new DawidSkene());
        Assert.Equal(2, table.Tasks);
        Assert.Equal(["t1", "t3"], estimates.Select(e => e.TaskId));
        Assert.Equal(("""{"a":1,"b":2}""", "\"x\""), (estimates[0].ValueJson, estimates[1].ValueJson));
        Assert.InRange(estimates[0].Confidence, 0.5, 1.0);
    }
}
