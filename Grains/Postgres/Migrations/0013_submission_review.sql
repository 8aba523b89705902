-- Review: a submission of a project with review is stored pending (0) and later accepted (1) or rejected (2); one of
-- a project without review is stored accepted, so the default keeps every submission stored before as it was.
-- The numbers are SubmissionState's and never change. "Accepted rewards" are the rewards of rows in state 1.
ALTER TABLE dispatch_submissions
    ADD COLUMN state          smallint NOT NULL DEFAULT 1,
    -- When it was accepted or rejected (for a project without review: when it was stored); null while pending and for
    -- rows stored before this migration.
    ADD COLUMN decided_at     timestamptz,
    -- Who gave the verdict (ReviewerKind: 0 requester, 1 crowd, 2 auto, 3 admin); null without a review.
    ADD COLUMN review_by      smallint,
    ADD COLUMN reviewer_id    text,
    ADD COLUMN review_comment text;

-- The review listing pages through a project's submissions of one state, oldest first.
CREATE INDEX dispatch_submissions_by_state
    ON dispatch_submissions (project_id, state, submitted_at, task_id, worker_id);

-- A queue shard loads the submissions that change its tasks' slots and auto-accept times: only pending and rejected
-- ones, which a project without review never has.
CREATE INDEX dispatch_submissions_under_review
    ON dispatch_submissions (shard, project_id)
    WHERE state <> 1;
