-- Dispatch's own tables: tasks, their leases and submissions. They are kept out of Orleans grain storage
-- because a project may hold millions of tasks: imports insert whole batches in one statement, and a queue
-- shard loads its open tasks with one indexed query instead of activating a grain per task.

CREATE TABLE dispatch_tasks (
    project_id      text        NOT NULL,
    task_id         text        NOT NULL,
    -- Which queue shard of the project offers this task; fixed at import.
    shard           integer     NOT NULL,
    -- Import order across the whole service; "oldest first" within a priority.
    seq             bigint      GENERATED ALWAYS AS IDENTITY,
    -- Bumped by every change: a write names the version it was decided on, so a stale writer fails.
    version         bigint      NOT NULL DEFAULT 1,
    priority        integer     NOT NULL,
    -- json, not jsonb, so a payload reads back exactly as it was sent.
    payload         json        NOT NULL,
    golden_answer   json,
    -- 0 open, 1 completed, 2 dead-lettered (TaskState).
    state           smallint    NOT NULL DEFAULT 0,
    failed_attempts integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    -- Completion order for the results export cursor.
    completion_seq  bigint,
    PRIMARY KEY (project_id, task_id)
);

CREATE INDEX dispatch_tasks_open_by_shard
    ON dispatch_tasks (project_id, shard, priority DESC, seq)
    WHERE state = 0;

CREATE INDEX dispatch_tasks_by_completion
    ON dispatch_tasks (project_id, completion_seq)
    WHERE state = 1;

CREATE INDEX dispatch_tasks_dead_lettered
    ON dispatch_tasks (project_id, task_id)
    WHERE state = 2;

CREATE SEQUENCE dispatch_completion_seq;

CREATE TABLE dispatch_leases (
    lease_id    text        PRIMARY KEY,
    project_id  text        NOT NULL,
    task_id     text        NOT NULL,
    shard       integer     NOT NULL,
    worker_id   text        NOT NULL,
    -- 0 active, 1 submitted, 2 expired, 3 released (LeaseState).
    state       smallint    NOT NULL,
    leased_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    -- A (task, worker) pair is leased at most once, ever.
    UNIQUE (project_id, task_id, worker_id)
);

CREATE INDEX dispatch_leases_active_by_worker
    ON dispatch_leases (worker_id)
    WHERE state = 0;

CREATE TABLE dispatch_submissions (
    project_id   text        NOT NULL,
    task_id      text        NOT NULL,
    shard        integer     NOT NULL,
    worker_id    text        NOT NULL,
    lease_id     text        NOT NULL,
    result       json        NOT NULL,
    submitted_at timestamptz NOT NULL,
    -- Null unless the task had a golden answer.
    correct      boolean,
    -- Credited to the worker; earnings are the sum, so a submission is paid exactly once.
    reward       numeric     NOT NULL,
    -- The skills the project required: a golden answer counts towards the worker's accuracy in each.
    skills       text[]      NOT NULL DEFAULT '{}',
    PRIMARY KEY (project_id, task_id, worker_id)
);

CREATE INDEX dispatch_submissions_by_worker ON dispatch_submissions (worker_id);

CREATE INDEX dispatch_submissions_by_shard ON dispatch_submissions (project_id, shard);
