-- Completions are ordered by the start of the transaction that stored them, then by their sequence, so that a
-- project's completions commit side by side without a shared lock (see PostgresTaskSql.CompletionHorizon); the
-- results export pages through this index.
CREATE INDEX dispatch_tasks_by_completion_time
    ON dispatch_tasks (project_id, completed_at, completion_seq)
    WHERE state = 1;
