namespace Dispatch.Bench.Peer;

/// <summary>
/// The peer's tables. Task states: 0 open, 1 completed, 2 dead-lettered. Lease states: 0 active, 1 submitted, 2 expired.
/// The hot tables carry no foreign keys (as in graphile-worker and River): the statements keep them consistent and a
/// claim or an import row pays no trigger.
/// </summary>
internal static class Schema
{
    public const string Sql = """
        CREATE TABLE IF NOT EXISTS workers (
            id text PRIMARY KEY,
            display_name text,
            token_hash bytea NOT NULL UNIQUE,
            max_active_leases int NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now());

        CREATE TABLE IF NOT EXISTS projects (
            id text PRIMARY KEY,
            name text NOT NULL,
            instructions text,
            label_config text,
            overlap int NOT NULL,
            lease_seconds int NOT NULL,
            max_attempts int NOT NULL,
            reward numeric NOT NULL,
            priority int NOT NULL,
            status text NOT NULL DEFAULT 'open',
            created_at timestamptz NOT NULL DEFAULT now());

        CREATE SEQUENCE IF NOT EXISTS tasks_completed_seq;

        CREATE TABLE IF NOT EXISTS tasks (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            project_id text NOT NULL,
            id text NOT NULL,
            payload jsonb NOT NULL,
            priority int NOT NULL DEFAULT 0,
            state smallint NOT NULL DEFAULT 0,
            slots_free int NOT NULL,
            submissions int NOT NULL DEFAULT 0,
            failed_attempts int NOT NULL DEFAULT 0,
            completed_seq bigint,
            completed_at timestamptz,
            UNIQUE (project_id, id));

        -- The queue: only tasks a worker could take now are in it, in serving order.
        CREATE INDEX IF NOT EXISTS tasks_ready ON tasks (priority DESC, seq) WHERE state = 0 AND slots_free > 0;
        -- The results export, in completion order.
        CREATE INDEX IF NOT EXISTS tasks_completed ON tasks (project_id, completed_seq) WHERE completed_seq IS NOT NULL;

        CREATE TABLE IF NOT EXISTS leases (
            id uuid PRIMARY KEY,
            task_seq bigint NOT NULL,
            worker_id text NOT NULL,
            state smallint NOT NULL,
            leased_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            -- A (task, worker) pair is leased at most once, ever.
            UNIQUE (worker_id, task_seq));

        CREATE INDEX IF NOT EXISTS leases_expiry ON leases (expires_at) WHERE state = 0;
        CREATE INDEX IF NOT EXISTS leases_worker_active ON leases (worker_id) WHERE state = 0;

        CREATE TABLE IF NOT EXISTS submissions (
            task_seq bigint NOT NULL,
            worker_id text NOT NULL,
            lease_id uuid NOT NULL,
            result jsonb NOT NULL,
            submitted_at timestamptz NOT NULL,
            PRIMARY KEY (task_seq, worker_id));
        """;
}
