namespace Dispatch.Grains.Storage;

/// <summary>The statements of <see cref="PostgresTaskStore"/>, over the tables of migration 0010.</summary>
internal static class PostgresTaskSql
{
    // The identity sequence PostgreSQL made for dispatch_tasks.seq (migration 0010).
    public const string ReserveSequences = "SELECT nextval('dispatch_tasks_seq_seq') FROM generate_series(1, @count)";

    // The copies into both tables take the same columns, so one writer fills either. COPY always stores a value given
    // for an identity column (see CREATE TABLE, GENERATED ALWAYS), so the reserved seq goes in as it is.
    private const string ImportColumns = "(project_id, task_id, shard, seq, priority, payload, golden_answer, created_at)";

    public const string CopyTasks = $"COPY dispatch_tasks {ImportColumns} FROM STDIN (FORMAT BINARY)";

    public const string CreateImportTable = """
        CREATE TEMPORARY TABLE dispatch_import (
            project_id text NOT NULL, task_id text NOT NULL, shard integer NOT NULL, seq bigint NOT NULL,
            priority integer NOT NULL, payload json NOT NULL, golden_answer json, created_at timestamptz NOT NULL
        ) ON COMMIT DROP
        """;

    public const string CopyImportTable = $"COPY dispatch_import {ImportColumns} FROM STDIN (FORMAT BINARY)";

    // In seq order, so that an id repeated in the call is stored as its first position has it.
    public const string InsertNewFromImportTable = $"""
        INSERT INTO dispatch_tasks {ImportColumns} OVERRIDING SYSTEM VALUE
        SELECT project_id, task_id, shard, seq, priority, payload, golden_answer, created_at FROM dispatch_import ORDER BY seq
        ON CONFLICT (project_id, task_id) DO NOTHING
        """;

    // A stored row whose seq is not the one reserved for that position was there before (or came from an earlier
    // position of the same call). The temporary table has no statistics; OFFSET 0 keeps each lookup a probe of the
    // primary key rather than leaving the planner free to scan the whole table. The stored payload comes back as text
    // and is compared by JsonValues, as in memory mode: a jsonb cast would refuse numbers past numeric's range
    // (1e1000000 is valid JSON and stored as sent) and compare duplicate keys otherwise.
    public const string ReadStoredBesideImport = """
        SELECT i.seq, t.shard, t.state, t.priority, t.seq, t.payload::text
        FROM dispatch_import i
        CROSS JOIN LATERAL (
            SELECT shard, state, priority, seq, payload FROM dispatch_tasks
            WHERE project_id = i.project_id AND task_id = i.task_id OFFSET 0) AS t
        WHERE t.seq <> i.seq
        """;

    private const string TaskColumns = "task_id, shard, version, state, priority, seq, payload::text, golden_answer::text, failed_attempts";

    private const string LeaseColumns = "task_id, lease_id, worker_id, state, leased_at, expires_at, review_of";

    private const string SubmissionColumns =
        "task_id, worker_id, lease_id, result::text, submitted_at, correct, reward, skills, state, decided_at, review_by, reviewer_id, review_comment, review_reward";

    public const string GetTask = $"""
        SELECT {TaskColumns} FROM dispatch_tasks WHERE project_id = @project AND task_id = @task;
        SELECT {LeaseColumns} FROM dispatch_leases WHERE project_id = @project AND task_id = @task ORDER BY leased_at, lease_id;
        SELECT {SubmissionColumns} FROM dispatch_submissions WHERE project_id = @project AND task_id = @task ORDER BY submitted_at, worker_id;
        """;

    // A page of at most @limit rows in its order, of which only the first ones that fit @max_bytes are answered (the
    // first row always). `bytes` counts a row's payload and results as PageBytes does; `fetched` says how many rows the
    // page had before the cut, so that a cut page can say there is more. Each row's results are summed through the
    // submissions' primary key, so a page costs the same whatever the project holds; OFFSET 0 sums them once a row
    // rather than once for each window that reads them.
    private static string Bounded(string page, string bytes, string order) => $"""
        SELECT * FROM (
            SELECT sized.*, sum(sized.bytes) OVER w AS upto, row_number() OVER w AS n, count(*) OVER () AS fetched
            FROM (SELECT page.*, {bytes} AS bytes FROM ({page}) AS page OFFSET 0) AS sized
            WINDOW w AS (ORDER BY {order} ROWS UNBOUNDED PRECEDING)) AS bounded
        WHERE upto <= @max_bytes OR n = 1
        ORDER BY {order}
        """;

    private const string PayloadAndResultBytes = """
        octet_length(page.payload) + (
            SELECT coalesce(sum(octet_length(s.result::text)), 0) FROM dispatch_submissions s
            WHERE s.project_id = @project AND s.task_id = page.task_id)
        """;

    public static readonly string ListByState = Bounded(
        $"""
        SELECT task_id, shard, version, state, priority, seq, payload::text AS payload, golden_answer::text AS golden_answer, failed_attempts
        FROM dispatch_tasks
        WHERE project_id = @project AND state = ANY(@states) AND task_id > @after ORDER BY task_id LIMIT @limit
        """,
        PayloadAndResultBytes,
        "task_id");

    // The leases and submissions of a page's tasks (@ids) are read task by task through their keys. Left to itself the
    // planner may hash-join the page against every submission of the project (15 ms at 30,000, growing); OFFSET 0
    // keeps each LATERAL lookup a separate index probe (6 ms a page of 1,000).
    public const string ActivityOfPage = $"""
        SELECT l.* FROM unnest(@ids::text[]) AS page(task_id)
        CROSS JOIN LATERAL (
            SELECT {LeaseColumns} FROM dispatch_leases WHERE project_id = @project AND task_id = page.task_id OFFSET 0) AS l
        ORDER BY l.leased_at, l.lease_id;
        SELECT s.* FROM unnest(@ids::text[]) AS page(task_id)
        CROSS JOIN LATERAL (
            SELECT {SubmissionColumns} FROM dispatch_submissions WHERE project_id = @project AND task_id = page.task_id OFFSET 0) AS s
        ORDER BY s.submitted_at, s.worker_id;
        """;

    // The cursor is the last completion read, (completed_at, task_id); the page goes on after it in that order.
    private const string AfterCursor = """
        WHERE project_id = @project AND state = 1 AND (completed_at, task_id) > (@after_at, @after_task)
        """;

    // One statement reads the page and its accepted submissions (each task's through the primary key: the state is
    // tested outside the fenced lookup, or a planner without fresh statistics walks the (project, state, ...) index
    // over every accepted submission of the project for each task, 1.6 s a page of 1,000), so the page is
    // found once: a row is a submission's columns (null for a task without any) and then its task's. A task's payload
    // comes with its first row only; `upto` is the bytes of the page up to and
    // with the task, as PageBytes counts them, and the rows of the tasks that fit @max_bytes are answered (those of the
    // first task always). `fetched` is how many tasks the page had before that cut.
    public static readonly string ListCompleted = $"""
        WITH page AS MATERIALIZED (
            SELECT task_id, payload, completed_at,
                   row_number() OVER w AS n, sum(octet_length(payload)) OVER w AS payload_upto, count(*) OVER () AS fetched
            FROM (
                SELECT task_id, payload::text AS payload, completed_at FROM dispatch_tasks
                {AfterCursor} AND completed_at < {CompletionHorizon}
                ORDER BY completed_at, task_id LIMIT @limit) AS limited
            WINDOW w AS (ORDER BY completed_at, task_id ROWS UNBOUNDED PRECEDING)
        ),
        joined AS (
            SELECT s.*, page.task_id AS page_task_id, page.completed_at, page.n, page.fetched,
                   CASE WHEN row_number() OVER (PARTITION BY page.n ORDER BY s.submitted_at, s.worker_id) = 1 THEN page.payload END AS payload,
                   page.payload_upto + sum(coalesce(octet_length(s.result), 0)) OVER (ORDER BY page.n RANGE UNBOUNDED PRECEDING) AS upto
            FROM page
            LEFT JOIN LATERAL (
                SELECT * FROM (
                    SELECT {SubmissionColumns} FROM dispatch_submissions
                    WHERE project_id = @project AND task_id = page.task_id OFFSET 0) AS of_task
                WHERE state = 1) AS s ON true
        )
        SELECT * FROM joined WHERE upto <= @max_bytes OR n = 1 ORDER BY n, submitted_at, worker_id;
        SELECT EXISTS (
                   SELECT 1 FROM dispatch_tasks
                   {AfterCursor} AND completed_at >= {CompletionHorizon} AND completed_at < coalesce(@since, statement_timestamp())),
               coalesce(@since, statement_timestamp());
        """;

    // Completion numbers are what results cursors were before they named the completion itself; old cursors still work.
    public const string FindCompletion = """
        SELECT completed_at, task_id FROM dispatch_tasks WHERE project_id = @project AND state = 1 AND completion_seq = @number
        """;

    // Completion order is (completed_at, task_id), where completed_at is the completing transaction's start.
    // A reader returns only completions from before the start of the oldest transaction still running in this
    // database (CompletionHorizon): every transaction that commits later started at or after it, so its completions
    // sort after every cursor handed out before, and no lock is shared by a project's completions. pg_stat_activity
    // shows another session's transaction start only to the same role (or pg_read_all_stats): silos share one role.
    public const string CompletionHorizon = """
        LEAST(statement_timestamp(), (
            SELECT min(xact_start) FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()))
        """;

    // Every part of a change joins the versioned UPDATE's rows, so a change whose version no longer matches writes
    // nothing at all and gets no row back; the others of the batch go on.
    public const string SaveMany = SaveChanges + "\n" + SelectVersions;

    /// <summary><see cref="SaveMany"/> that also stores webhook deliveries of the changes it writes.</summary>
    public const string SaveManyWithOutbox = SaveChanges + "\n" + Webhooks.PostgresWebhookSql.InsertWithTaskChange + "\n" + SelectVersions;

    private const string SelectVersions = "SELECT idx, version FROM task";

    private const string SaveChanges = """
        WITH c AS (
            SELECT * FROM unnest(@projects::text[], @tasks::text[], @expected::bigint[], @states::smallint[], @failed::integer[], @completes::boolean[])
                WITH ORDINALITY AS c(project_id, task_id, expected, state, failed, completes, idx)
        ),
        task AS (
            UPDATE dispatch_tasks t
            SET version = t.version + 1,
                state = c.state,
                failed_attempts = c.failed,
                completed_at = CASE WHEN c.completes THEN now() ELSE t.completed_at END
            FROM c
            WHERE t.project_id = c.project_id AND t.task_id = c.task_id AND t.version = c.expected
            RETURNING c.idx, t.project_id, t.task_id, t.shard, t.version
        ),
        new_leases AS (
            INSERT INTO dispatch_leases (lease_id, project_id, task_id, shard, worker_id, state, leased_at, expires_at, review_of)
            SELECT l.lease_id, task.project_id, task.task_id, task.shard, l.worker_id, 0, l.leased_at, l.expires_at, l.review_of
            FROM unnest(@lease_idx::bigint[], @lease_ids::text[], @lease_workers::text[], @leased_at::timestamptz[], @lease_expires::timestamptz[],
                        @lease_review_of::text[])
                AS l(idx, lease_id, worker_id, leased_at, expires_at, review_of)
            JOIN task ON task.idx = l.idx
        ),
        updated_leases AS (
            UPDATE dispatch_leases d SET state = u.state, expires_at = u.expires_at
            FROM unnest(@upd_idx::bigint[], @upd_ids::text[], @upd_states::smallint[], @upd_expires::timestamptz[])
                AS u(idx, lease_id, state, expires_at)
            JOIN task ON task.idx = u.idx
            WHERE d.lease_id = u.lease_id
        ),
        new_submissions AS (
            INSERT INTO dispatch_submissions (project_id, task_id, shard, worker_id, lease_id, result, submitted_at, correct, reward, skills, state, decided_at)
            SELECT task.project_id, task.task_id, task.shard, s.worker_id, s.lease_id, s.result::json, s.submitted_at, s.correct, s.reward,
                   ARRAY(SELECT json_array_elements_text(s.skills::json)), s.state, s.decided_at
            FROM unnest(@sub_idx::bigint[], @sub_workers::text[], @sub_leases::text[], @sub_results::text[], @sub_at::timestamptz[],
                        @sub_correct::boolean[], @sub_rewards::numeric[], @sub_skills::text[], @sub_states::smallint[], @sub_decided::timestamptz[])
                AS s(idx, worker_id, lease_id, result, submitted_at, correct, reward, skills, state, decided_at)
            JOIN task ON task.idx = s.idx
        ),
        decided AS (
            UPDATE dispatch_submissions d
            SET state = v.state, decided_at = v.decided_at, review_by = v.review_by, reviewer_id = v.reviewer_id, review_comment = v.review_comment,
                review_reward = v.review_reward
            FROM unnest(@dec_idx::bigint[], @dec_workers::text[], @dec_states::smallint[], @dec_at::timestamptz[], @dec_by::smallint[],
                        @dec_reviewers::text[], @dec_comments::text[], @dec_review_rewards::numeric[])
                AS v(idx, worker_id, state, decided_at, review_by, reviewer_id, review_comment, review_reward)
            JOIN task ON task.idx = v.idx
            WHERE d.project_id = task.project_id AND d.task_id = task.task_id AND d.worker_id = v.worker_id
        )
        """;

    // A seed is only a task that no lease ever touched: its whole record is the row itself. Each id is one probe of
    // the primary key, whatever the statistics say. Written as `task_id = ANY(@ids) AND state = 0`, the planner
    // walked the open-task index of the whole project and tested each entry against the list (45 ms a page at 6,000
    // tasks, seconds at a million); with `state = 0` inside the lookup it did that walk once per id. OFFSET 0 keeps the
    // state test outside, where no partial index can match it.
    public const string Seeds = """
        SELECT t.task_id, t.version, t.shard, t.priority, t.seq, t.payload::text, t.golden_answer::text
        FROM unnest(@ids::text[]) AS i(task_id)
        CROSS JOIN LATERAL (SELECT * FROM dispatch_tasks WHERE project_id = @project AND task_id = i.task_id OFFSET 0) AS t
        WHERE t.state = 0
          AND NOT EXISTS (SELECT 1 FROM dispatch_leases l WHERE l.project_id = t.project_id AND l.task_id = t.task_id)
        """;

    // Review leases (review_of set) take no slot and are no submission; their holders are the task's reviewers.
    public const string LoadShard = """
        SELECT t.task_id, t.version, t.state, t.priority, t.seq,
               coalesce(array_agg(l.worker_id) FILTER (WHERE l.worker_id IS NOT NULL AND l.review_of IS NULL), '{}'),
               count(l.lease_id) FILTER (WHERE l.state = 0),
               count(l.lease_id) FILTER (WHERE l.state = 1 AND l.review_of IS NULL),
               min(l.expires_at) FILTER (WHERE l.state = 0),
               count(l.lease_id) FILTER (WHERE l.state = 0 AND l.review_of IS NOT NULL),
               coalesce(array_agg(l.worker_id) FILTER (WHERE l.review_of IS NOT NULL), '{}')
        FROM dispatch_tasks t
        LEFT JOIN dispatch_leases l ON l.project_id = t.project_id AND l.task_id = t.task_id
        WHERE t.project_id = @project AND t.shard = @shard AND t.state IN (0, 2)
        GROUP BY t.task_id, t.version, t.state, t.priority, t.seq;
        SELECT (SELECT count(*) FROM dispatch_tasks WHERE project_id = @project AND shard = @shard AND state = 1),
               (SELECT count(*) FROM dispatch_submissions WHERE project_id = @project AND shard = @shard);
        SELECT task_id, count(*) FILTER (WHERE state = 2), min(submitted_at) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 0)
        FROM dispatch_submissions WHERE shard = @shard AND project_id = @project AND state <> 1
        GROUP BY task_id;
        """;

    // A review lease brings the result it reviews.
    public const string ActiveLeasesOfWorker = """
        SELECT l.lease_id, l.project_id, l.task_id, l.leased_at, l.expires_at, t.payload::text, l.review_of, s.result::text
        FROM dispatch_leases l
        JOIN dispatch_tasks t ON t.project_id = l.project_id AND t.task_id = l.task_id
        LEFT JOIN dispatch_submissions s ON s.project_id = l.project_id AND s.task_id = l.task_id AND s.worker_id = l.review_of
        WHERE l.worker_id = @worker AND l.state = 0
        """;

    public const string WorkerTotals = """
        SELECT count(*), count(correct), count(*) FILTER (WHERE correct), coalesce(sum(reward) FILTER (WHERE state = 1), 0),
               count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2), coalesce(sum(reward) FILTER (WHERE state = 0), 0),
               (SELECT coalesce(sum(review_reward), 0) FROM dispatch_submissions WHERE reviewer_id = @worker)
        FROM dispatch_submissions WHERE worker_id = @worker;
        SELECT skill, count(correct), count(*) FILTER (WHERE correct),
               count(review_by), count(*) FILTER (WHERE review_by IS NOT NULL AND state = 1)
        FROM dispatch_submissions, unnest(skills) AS skill
        WHERE worker_id = @worker AND (correct IS NOT NULL OR review_by IS NOT NULL)
        GROUP BY skill;
        """;

    // One probe of dispatch_submissions_by_state per page, whatever the project holds.
    public static readonly string ListSubmissions = Bounded(
        $"""
        SELECT {SubmissionColumns} FROM dispatch_submissions
        WHERE project_id = @project AND state = @state AND (submitted_at, task_id, worker_id) > (@at, @task, @worker)
        ORDER BY submitted_at, task_id, worker_id LIMIT @limit
        """,
        "octet_length(page.result)",
        "submitted_at, task_id, worker_id");

    public const string ExamProgress = """
        SELECT count(*), count(*) FILTER (WHERE correct),
               (SELECT count(*) FROM dispatch_tasks WHERE project_id = @project)
        FROM dispatch_submissions WHERE project_id = @project AND worker_id = @worker
        """;

    public const string FindLease = "SELECT project_id, task_id, worker_id FROM dispatch_leases WHERE lease_id = @lease";
}
