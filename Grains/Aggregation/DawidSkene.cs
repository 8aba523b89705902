namespace Dispatch.Grains.Aggregation;

/// <summary>One answer to a task: which worker gave it and which class (distinct answer) it is.</summary>
public readonly record struct Vote(int Worker, int Class);

/// <summary>
/// What <see cref="DawidSkene"/> found: per task the chosen class and its posterior, and all posteriors.
/// </summary>
/// <param name="Iterations">EM iterations run (one M step and one E step each).</param>
/// <param name="Converged">False when <see cref="DawidSkene.MaxIterations"/> stopped it first.</param>
public sealed record DawidSkeneEstimate(int[] Classes, double[] Confidences, double[][] Posteriors, int Iterations, bool Converged);

/// <summary>
/// The Dawid-Skene estimator (Dawid and Skene, 1979): each worker has a confusion matrix (the chance of answering
/// class l when the truth is k), the classes have priors, and EM alternates between estimating those from the
/// current posteriors of the tasks (M step) and the posteriors from them (E step). Posteriors start as the shares of
/// the votes (majority vote), so a crowd that agrees ends where majority vote would. Counts are smoothed by
/// <see cref="Smoothing"/> so that no probability is zero: a worker who never gave an answer may still give it.
/// Deterministic: no randomness, ties of posteriors go to the lower class index.
/// </summary>
/// <param name="maxIterations">Cap on EM iterations. Default: 100.</param>
/// <param name="tolerance">Stops when no posterior moved more than this in an iteration. Default: 1e-5.</param>
/// <param name="smoothing">Added to every count of priors and confusion matrices. Default: 0.01.</param>
public sealed class DawidSkene(int maxIterations = 100, double tolerance = 1e-5, double smoothing = 0.01)
{
    public int MaxIterations { get; } = maxIterations > 0 ? maxIterations : throw new ArgumentOutOfRangeException(nameof(maxIterations));

    public double Tolerance { get; } = tolerance >= 0 ? tolerance : throw new ArgumentOutOfRangeException(nameof(tolerance));

    public double Smoothing { get; } = smoothing > 0 ? smoothing : throw new ArgumentOutOfRangeException(nameof(smoothing), "Zero smoothing lets a probability reach zero.");

    /// <param name="tasks">Each task's votes; every task needs at least one.</param>
    /// <param name="workers">Worker indexes are 0..workers-1.</param>
    /// <param name="classes">Class indexes are 0..classes-1.</param>
    public DawidSkeneEstimate Estimate(IReadOnlyList<IReadOnlyList<Vote>> tasks, int workers, int classes)
    {
        var posteriors = new double[tasks.Count][];
        for (var i = 0; i < tasks.Count; i++)
        {
            posteriors[i] = VoteShares(tasks[i], classes);
        }

        var priors = new double[classes];
        var confusion = new double[workers][];
        for (var w = 0; w < workers; w++)
        {
            confusion[w] = new double[classes * classes];
        }

        var iterations = 0;
        var converged = false;
        while (!converged && iterations < MaxIterations)
        {
            iterations++;
            Maximize(tasks, posteriors, priors, confusion, classes);
            converged = Expect(tasks, posteriors, priors, confusion, classes) <= Tolerance;
        }

        var chosen = new int[tasks.Count];
        var confidences = new double[tasks.Count];
        for (var i = 0; i < tasks.Count; i++)
        {
            chosen[i] = ArgMax(posteriors[i]);
            confidences[i] = posteriors[i][chosen[i]];
        }

        return new DawidSkeneEstimate(chosen, confidences, posteriors, iterations, converged);
    }

    private static double[] VoteShares(IReadOnlyList<Vote> votes, int classes)
    {
        if (votes.Count == 0)
        {
            throw new ArgumentException("Every task needs at least one vote.", nameof(votes));
        }

        var shares = new double[classes];
        foreach (var vote in votes)
        {
            shares[vote.Class] += 1.0 / votes.Count;
        }

        return shares;
    }

    /// <summary>Priors and confusion matrices from the posteriors, as smoothed expected counts.</summary>
    private void Maximize(IReadOnlyList<IReadOnlyList<Vote>> tasks, double[][] posteriors, double[] priors, double[][] confusion, int classes)
    {
        Array.Fill(priors, Smoothing);
        foreach (var matrix in confusion)
        {
            Array.Fill(matrix, Smoothing);
        }

        for (var i = 0; i < tasks.Count; i++)
        {
            var posterior = posteriors[i];
            for (var k = 0; k < classes; k++)
            {
                priors[k] += posterior[k];
                foreach (var vote in tasks[i])
                {
                    confusion[vote.Worker][(k * classes) + vote.Class] += posterior[k];
                }
            }
        }

        Normalize(priors, 0, classes);
        foreach (var matrix in confusion)
        {
            for (var k = 0; k < classes; k++)
            {
                Normalize(matrix, k * classes, classes);
            }
        }
    }

    /// <summary>Posteriors from priors and confusion matrices (in logarithms, so many votes do not underflow); returns the largest change.</summary>
    private static double Expect(IReadOnlyList<IReadOnlyList<Vote>> tasks, double[][] posteriors, double[] priors, double[][] confusion, int classes)
    {
        var largestChange = 0.0;
        var logs = new double[classes];
        for (var i = 0; i < tasks.Count; i++)
        {
            for (var k = 0; k < classes; k++)
            {
                logs[k] = Math.Log(priors[k]);
                foreach (var vote in tasks[i])
                {
                    logs[k] += Math.Log(confusion[vote.Worker][(k * classes) + vote.Class]);
                }
            }

            var highest = logs.Max();
            var total = 0.0;
            for (var k = 0; k < classes; k++)
            {
                logs[k] = Math.Exp(logs[k] - highest);
                total += logs[k];
            }

            var posterior = posteriors[i];
            for (var k = 0; k < classes; k++)
            {
                var next = logs[k] / total;
                largestChange = Math.Max(largestChange, Math.Abs(next - posterior[k]));
                posterior[k] = next;
            }
        }

        return largestChange;
    }

    private static void Normalize(double[] values, int start, int count)
    {
        var total = 0.0;
        for (var j = start; j < start + count; j++)
        {
            total += values[j];
        }

        for (var j = start; j < start + count; j++)
        {
            values[j] /= total;
        }
    }

    private static int ArgMax(double[] values)
    {
        var best = 0;
        for (var k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
            {
                best = k;
            }
        }

        return best;
    }
}
