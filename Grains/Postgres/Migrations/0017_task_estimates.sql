-- Aggregation by Dawid-Skene (issue 14): the answer a project's last run chose for each task it covered, and its
-- posterior. A run replaces its project's rows in one transaction, so a reader sees one run's estimates, never a mix;
-- task views and the results export read them by (project, task). Majority aggregates are computed when read.
-- value_json is text, not jsonb, so that an answer comes back spelled as the worker wrote it.
CREATE TABLE dispatch_task_estimates (
    project_id text NOT NULL,
    task_id text NOT NULL,
    value_json text NOT NULL,
    confidence double precision NOT NULL,
    PRIMARY KEY (project_id, task_id)
);
