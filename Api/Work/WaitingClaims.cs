namespace Dispatch.Api.Work;

/// <summary>Why a waiting claim was woken.</summary>
public enum WakeReason
{
    /// <summary>A work signal named the claim's project (or any project, for a routed claim).</summary>
    Signal,

    /// <summary>The slow periodic wake-up, in case a signal was lost.</summary>
    Fallback,
}

/// <summary>
/// This silo's waiting claims, in the order they began to wait: those naming a project in a line per project, routed
/// ones in a line of their own. A signal wakes the longest waiting claims that may take its project's work, about as
/// many as it freed slots, so that one released lease does not send every waiting worker to the shards at once. A
/// woken claim leaves its line; when it claims again and finds nothing it joins the back.
/// </summary>
public sealed class WaitingClaims
{
    private readonly Dictionary<string, LinkedList<Waiter>> _byProject = new(StringComparer.Ordinal);
    private readonly LinkedList<Waiter> _routed = new();
    private readonly Lock _gate = new();
    private long _joined;

    /// <summary>How many claims wait now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _routed.Count + _byProject.Values.Sum(line => line.Count);
            }
        }
    }

    /// <summary>Puts a claim at the back of its line; <paramref name="projectId"/> null for a routed claim.</summary>
    public Waiter Join(string? projectId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var waiter = new Waiter(projectId, ++_joined, cancellationToken);
            var line = projectId is null ? _routed : LineOf(projectId);
            waiter.Node = line.AddLast(waiter);
            return waiter;
        }
    }

    /// <summary>Wakes up to <paramref name="count"/> of the claims that may take work of <paramref name="projectId"/>, longest waiting first.</summary>
    /// <returns>How many were woken.</returns>
    public int Wake(string projectId, int count, WakeReason reason)
    {
        lock (_gate)
        {
            _byProject.TryGetValue(projectId, out var named);
            var woken = 0;
            while (woken < count && Next(named, _routed) is { } waiter)
            {
                woken += Wake(waiter, reason) ? 1 : 0;
            }

            return woken;
        }
    }

    /// <summary>
    /// Takes <paramref name="waiter"/>, which leaves with a lease or an answer, out of its line and wakes one more claim
    /// that may take the same work: it passes on a wake-up it cannot use, or tells the next that work was found.
    /// </summary>
    /// <returns>How many were woken: 0 or 1.</returns>
    public int WakeAnother(Waiter waiter, WakeReason reason)
    {
        lock (_gate)
        {
            Remove(waiter);
            return waiter.ProjectId is { } projectId ? Wake(projectId, 1, reason) : WakeFirst(_routed, reason);
        }
    }

    /// <summary>The periodic wake-up: the longest waiting claim of each line, so that a lost signal costs one claim per line, not one per waiter.</summary>
    /// <returns>How many were woken.</returns>
    public int WakeFirstOfEachLine()
    {
        lock (_gate)
        {
            var woken = 0;
            foreach (var line in _byProject.Values.Append(_routed).ToList())
            {
                woken += WakeFirst(line, WakeReason.Fallback);
            }

            return woken;
        }
    }

    /// <summary>Takes the claim out of its line (woken or not).</summary>
    /// <returns>True when it had been woken and has not used the wake-up, which it then should pass on.</returns>
    public bool Leave(Waiter waiter)
    {
        lock (_gate)
        {
            Remove(waiter);
            var unused = waiter.Woken.Task.IsCompleted && !waiter.Used;
            waiter.Used = true;
            return unused;
        }
    }

    private int WakeFirst(LinkedList<Waiter> line, WakeReason reason)
    {
        while (line.First is { } first)
        {
            if (Wake(first.Value, reason))
            {
                return 1;
            }
        }

        return 0;
    }

    /// <summary>The longer waiting of the two lines' first claims.</summary>
    private static Waiter? Next(LinkedList<Waiter>? named, LinkedList<Waiter> routed) =>
        (named?.First?.Value, routed.First?.Value) switch
        {
            ({ } a, { } b) => a.Joined < b.Joined ? a : b,
            ({ } a, null) => a,
            (null, var b) => b,
        };

    /// <summary>Takes the waiter out of its line and wakes it, unless its caller went away.</summary>
    private bool Wake(Waiter waiter, WakeReason reason)
    {
        Remove(waiter);
        return !waiter.CancellationToken.IsCancellationRequested && waiter.Woken.TrySetResult(reason);
    }

    private void Remove(Waiter waiter)
    {
        if (waiter.Node is not { List: { } line } node)
        {
            return;
        }

        line.Remove(node);
        if (line.Count == 0 && waiter.ProjectId is { } projectId)
        {
            _byProject.Remove(projectId);
        }
    }

    private LinkedList<Waiter> LineOf(string projectId)
    {
        if (!_byProject.TryGetValue(projectId, out var line))
        {
            line = new LinkedList<Waiter>();
            _byProject.Add(projectId, line);
        }

        return line;
    }

    /// <summary>One wait of one claim: a claim that waits again joins as a new waiter.</summary>
    public sealed class Waiter(string? projectId, long joined, CancellationToken cancellationToken)
    {
        public string? ProjectId { get; } = projectId;

        public long Joined { get; } = joined;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<WakeReason> Woken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set once the claim acted on its wake-up, or left and passed it on.</summary>
        public bool Used { get; set; }

        internal LinkedListNode<Waiter>? Node { get; set; }
    }
}
