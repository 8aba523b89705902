-- Webhook deliveries: one row per event and registration, inserted by the statement that stores the task change the
-- event comes from, so an acknowledged change never loses its event. next_attempt_at is both when a pending delivery
-- is due and, while a silo holds it, when that claim runs out: a silo that dies only delays its deliveries.
-- attempts counts attempts started and names the current claim, so an outcome of an older claim is not recorded.
CREATE TABLE dispatch_webhook_outbox (
    webhook_id text NOT NULL,
    event_id text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    project_id text NOT NULL,
    type text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    state smallint NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    next_attempt_at timestamptz,
    PRIMARY KEY (webhook_id, event_id)
);

-- What the silos poll for: pending deliveries by due time.
CREATE INDEX dispatch_webhook_outbox_due ON dispatch_webhook_outbox (next_attempt_at) WHERE state = 0;

-- A registration's delivery log, newest first.
CREATE INDEX dispatch_webhook_outbox_log ON dispatch_webhook_outbox (webhook_id, seq DESC);
