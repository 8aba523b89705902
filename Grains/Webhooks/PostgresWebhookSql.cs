namespace Dispatch.Grains.Webhooks;

/// <summary>The statements of <see cref="PostgresWebhookOutbox"/>, and the part of a task write that fills the outbox.</summary>
public static class PostgresWebhookSql
{
    /// <summary>
    /// A CTE for <see cref="Storage.PostgresTaskSql.SaveMany"/>: the outbox rows of the changes whose version matched
    /// (joined to its <c>task</c> CTE), in the same statement and so the same transaction.
    /// </summary>
    public const string InsertWithTaskChange = """
        , outbox AS (
            INSERT INTO dispatch_webhook_outbox (project_id, webhook_id, event_id, type, body, created_at, next_attempt_at)
            SELECT task.project_id, o.webhook_id, o.event_id, o.type, o.body, o.created_at, o.created_at
            FROM unnest(@out_idx::bigint[], @out_webhooks::text[], @out_events::text[], @out_types::text[], @out_bodies::text[],
                        @out_at::timestamptz[])
                AS o(idx, webhook_id, event_id, type, body, created_at)
            JOIN task ON task.idx = o.idx
        )
        """;

    /// <summary>
    /// Entries given column-wise, each its own project: an import's (in the import's transaction) or a worker's. An
    /// entry stored already is left as it is, so a worker's repeated insert after a failure stores nothing twice.
    /// </summary>
    public const string Insert = """
        INSERT INTO dispatch_webhook_outbox (project_id, webhook_id, event_id, type, body, created_at, next_attempt_at)
        SELECT o.project_id, o.webhook_id, o.event_id, o.type, o.body, o.created_at, o.created_at
        FROM unnest(@projects::text[], @webhooks::text[], @events::text[], @types::text[], @bodies::text[], @at::timestamptz[])
            AS o(project_id, webhook_id, event_id, type, body, created_at)
        ON CONFLICT (webhook_id, event_id) DO NOTHING
        """;

    // SKIP LOCKED: silos polling at once take different rows instead of waiting on each other.
    public const string Claim = """
        UPDATE dispatch_webhook_outbox o
        SET attempts = o.attempts + 1, next_attempt_at = @claim_until
        FROM (
            SELECT webhook_id, event_id FROM dispatch_webhook_outbox
            WHERE state = 0 AND next_attempt_at <= @now AND webhook_id <> ALL(@except::text[])
            ORDER BY next_attempt_at
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
        ) d
        WHERE o.webhook_id = d.webhook_id AND o.event_id = d.event_id
        RETURNING o.project_id, o.webhook_id, o.event_id, o.body, o.attempts, o.created_at
        """;

    public const string Record = """
        UPDATE dispatch_webhook_outbox
        SET state = @state, last_status = @status, next_attempt_at = @next
        WHERE webhook_id = @webhook AND event_id = @event AND attempts = @attempts AND state = 0
        """;

    public const string List = """
        SELECT event_id, type, attempts, last_status, state, next_attempt_at
        FROM dispatch_webhook_outbox
        WHERE webhook_id = @webhook
        ORDER BY seq DESC
        LIMIT @limit
        """;

    public const string Delete = "DELETE FROM dispatch_webhook_outbox WHERE webhook_id = @webhook";
}
