-- A worker's money besides its rewards: bonuses and payouts (and review rewards). A reward is not copied here: the
-- row of its accepted submission is its only record, so it can never be entered twice; the ledger reads both.

CREATE TABLE dispatch_ledger (
    worker_id       text          NOT NULL,
    -- Server-made, unique per worker; rewards are named by their submission's lease id, from the same id space.
    entry_id        text          NOT NULL,
    -- 1 review reward, 2 bonus, 3 payout (LedgerEntryKind); 0, the reward, lives in dispatch_submissions.
    kind            smallint      NOT NULL CHECK (kind IN (1, 2, 3)),
    -- Signed, so that a balance is one sum: a payout is negative, everything else positive. Amounts have at most
    -- four decimal places and a bound (MoneyRules), so sums of them always fit a .NET decimal.
    amount          numeric(14,4) NOT NULL CHECK (amount <> 0 AND (kind = 3) = (amount < 0)),
    project_id      text,
    task_id         text,
    -- A bonus's reason or a payout's reference.
    reference       text,
    at              timestamptz   NOT NULL,
    -- The caller's key: a bonus or payout is paid once per (worker, kind, key). Review rewards have none.
    idempotency_key text,
    PRIMARY KEY (worker_id, entry_id),
    UNIQUE (worker_id, kind, idempotency_key)
);

-- Ledger pages read both tables in (at, entry id) order from the cursor on, each through an index in that order.
CREATE INDEX dispatch_ledger_by_time ON dispatch_ledger (worker_id, at, entry_id);

-- A reward is earned when its submission is accepted (state 1), at its verdict's time; submissions without review are
-- accepted when stored, and rows from before review have no decided_at, hence the coalesce, which the ledger reads
-- alike. The worker's index is in ledger order and carries what the ledger filters on, so a page reads its rewards in
-- order and an opening balance is an index-only sum. (A partial index beside the plain one lost to it: the planner
-- misjudges how many rows the state and reward filters leave, and summed the worker's whole heap.) Worker totals
-- read all of a worker's submissions through it as well.
DROP INDEX dispatch_submissions_by_worker;
CREATE INDEX dispatch_submissions_by_worker
    ON dispatch_submissions (worker_id, (coalesce(decided_at, submitted_at)), lease_id) INCLUDE (reward, state);
