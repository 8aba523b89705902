-- The results export orders completions by (completed_at, task_id) and its cursor names the last task read, instead
-- of a completion number drawn from one sequence for all projects, which told a reader how much the whole service
-- completed. Completion numbers are no longer drawn; those already stored stay, so that cursors of the old form
-- (found through dispatch_tasks_by_completion) still work.
DROP INDEX dispatch_tasks_by_completion_time;
CREATE INDEX dispatch_tasks_by_completion_order
    ON dispatch_tasks (project_id, completed_at, task_id)
    WHERE state = 1;
