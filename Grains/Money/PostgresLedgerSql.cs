namespace Dispatch.Grains.Money;

/// <summary>The statements of <see cref="PostgresLedgerStore"/>, over dispatch_ledger (migration 0014) and dispatch_submissions.</summary>
internal static class PostgresLedgerSql
{
    /// <summary>
    /// The reward entries of a worker: one per accepted submission with a reward, named by its lease id. This is the one
    /// place that decides which submissions are paid and when: accepted ones (<c>state = 1</c>), at their verdict's time
    /// (a submission without review is accepted when stored). The worker index of migration 0014 reads them in
    /// ledger order.
    /// </summary>
    private const string AcceptedRewards = """
        SELECT lease_id AS entry_id, 0::smallint AS kind, reward AS amount, project_id, task_id, NULL::text AS reference,
               coalesce(decided_at, submitted_at) AS at
        FROM dispatch_submissions WHERE worker_id = @worker AND state = 1 AND reward <> 0
        """;

    /// <summary>
    /// The review rewards of a crowd reviewer: one per verdict it gave with a reward, stored on the reviewed row and named
    /// by that row's lease id (another worker's lease, so never the id of one of the reviewer's own rewards).
    /// </summary>
    private const string ReviewRewards = """
        SELECT lease_id AS entry_id, 1::smallint AS kind, review_reward AS amount, project_id, task_id, NULL::text AS reference, decided_at AS at
        FROM dispatch_submissions WHERE reviewer_id = @worker AND review_reward <> 0
        """;

    private const string OwnEntries = """
        SELECT entry_id, kind, amount, project_id, task_id, reference, at FROM dispatch_ledger WHERE worker_id = @worker
        """;

    /// <summary>
    /// Serializes the money writes of one worker (a transaction-scoped lock, gone at commit or rollback). Rewards are
    /// not written under it: they only add to a balance, so they cannot make a checked payout overdraw. The two-key
    /// form has a key space of its own, apart from the one-key locks (such as the schema migration's).
    /// </summary>
    public const string LockWorker = "SELECT pg_advisory_xact_lock(1145393987, hashtext(@worker))";

    public const string FindByKey = """
        SELECT entry_id, kind, amount, project_id, task_id, reference, at FROM dispatch_ledger
        WHERE worker_id = @worker AND kind = @kind AND idempotency_key = @key
        """;

    public const string HasSubmission = "SELECT EXISTS (SELECT 1 FROM dispatch_submissions WHERE project_id = @project AND worker_id = @worker)";

    public const string Balance = $"""
        SELECT (SELECT coalesce(sum(amount), 0) FROM ({AcceptedRewards}) AS r)
             + (SELECT coalesce(sum(amount), 0) FROM ({ReviewRewards}) AS v)
             + (SELECT coalesce(sum(amount), 0) FROM dispatch_ledger WHERE worker_id = @worker)
        """;

    public const string Insert = """
        INSERT INTO dispatch_ledger (worker_id, entry_id, kind, amount, project_id, task_id, reference, at, idempotency_key)
        VALUES (@worker, @entry, @kind, @amount, @project, @task, @reference, @at, @key)
        """;

    public const string Sums = """
        SELECT coalesce(sum(amount) FILTER (WHERE kind <> 3), 0), coalesce(-sum(amount) FILTER (WHERE kind = 3), 0)
        FROM dispatch_ledger WHERE worker_id = @worker
        """;

    // No cursor (the first page) is a null time: before every entry.
    private const string Cursor = "coalesce(@at, '-infinity'::timestamptz), @entry";

    /// <summary>
    /// A page after the cursor (at, entry id): each source read through its index in that order from the cursor on, no
    /// more than a page of each (so O(limit) rows whatever the worker holds), then merged. The opening balance sums
    /// every entry up to the cursor: O(the worker's entries), an index-only sum where the visibility map allows. That
    /// keeps every balance exact from storage rather than trusting one carried in the cursor. One statement, so the
    /// page and its opening balance come from one snapshot. An entry's time is chosen a moment before it commits: a
    /// page read within that moment may pass its place (later opening balances still count it); the results export's
    /// commit horizon is the remedy should that ever matter for ledgers.
    /// </summary>
    public const string Page = $"""
        SELECT page.*, (SELECT coalesce(sum(amount), 0) FROM ({AcceptedRewards} UNION ALL {ReviewRewards} UNION ALL {OwnEntries}) AS e WHERE (at, entry_id) <= ({Cursor}))
        FROM (
            (SELECT * FROM ({AcceptedRewards}) AS r WHERE (at, entry_id) > ({Cursor}) ORDER BY at, entry_id LIMIT @limit)
            UNION ALL
            (SELECT * FROM ({ReviewRewards}) AS v WHERE (at, entry_id) > ({Cursor}) ORDER BY at, entry_id LIMIT @limit)
            UNION ALL
            (SELECT * FROM ({OwnEntries}) AS o WHERE (at, entry_id) > ({Cursor}) ORDER BY at, entry_id LIMIT @limit)
        ) AS page
        ORDER BY page.at, page.entry_id LIMIT @limit
        """;
}
