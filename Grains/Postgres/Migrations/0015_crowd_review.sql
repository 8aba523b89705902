-- Crowd review: a pending submission is served to reviewers through the claim call, as a review lease of its task.
-- A review lease is a row of dispatch_leases naming the worker whose submission it reviews (review_of; null for a
-- task lease). A worker leases a task at most once, and each submission of it for review at most once, so the pair
-- rule of migration 0010 becomes a rule on (task, worker, item).
ALTER TABLE dispatch_leases ADD COLUMN review_of text;

ALTER TABLE dispatch_leases DROP CONSTRAINT dispatch_leases_project_id_task_id_worker_id_key;

CREATE UNIQUE INDEX dispatch_leases_once_per_item
    ON dispatch_leases (project_id, task_id, worker_id, (coalesce(review_of, '')));

-- What the crowd reviewer who gave the verdict was credited for it, on the reviewed row itself: the verdict and its
-- reward are one write, so a review is paid exactly once. (reviewer_id of migration 0013 names the reviewer.)
ALTER TABLE dispatch_submissions ADD COLUMN review_reward numeric(14,4) NOT NULL DEFAULT 0;

-- A reviewer's ledger reads its review rewards in ledger order (time, entry id), as migration 0014 does rewards.
CREATE INDEX dispatch_submissions_by_reviewer
    ON dispatch_submissions (reviewer_id, decided_at, lease_id) INCLUDE (review_reward)
    WHERE reviewer_id IS NOT NULL;
