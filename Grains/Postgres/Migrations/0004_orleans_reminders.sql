-- Reminders for Microsoft.Orleans.Reminders.AdoNet (UseAdoNetReminderService).
--
-- What the provider (10.x) expects, read from its source:
--   * A reminder is identified by @ServiceId, @GrainId (GrainId.ToString(), "type/key") and @ReminderName.
--   * @GrainHash is the grain's uniform hash, a uint that arrives reinterpreted as a signed int. Each silo's reminder
--     service owns a range (@BeginHash, @EndHash] of that ring, bound the same way, and reads it with one of two keys:
--     ReadRangeRows1Key when BeginHash < EndHash as signed ints (the range does not wrap), ReadRangeRows2Key
--     otherwise (it wraps past the end, or covers the whole ring when both are equal).
--   * @Period is milliseconds, bound as int or as bigint when it does not fit; it is read back as a 64-bit value.
--   * The ETag is our integer version: UpsertReminderRowKey returns the new one, DeleteReminderRowKey removes the
--     row only at the bound @Version and returns a single boolean.
--   * Reads return GrainId, ReminderName, StartTime, Period and Version.

CREATE TABLE orleans_reminders (
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    start_time    timestamptz NOT NULL,
    period        bigint      NOT NULL,
    grain_hash    integer     NOT NULL,
    version       integer     NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

-- The range reads: every silo reads its range at start, whenever its range changes, and periodically.
CREATE INDEX orleans_reminders_by_hash ON orleans_reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadReminderRowsKey',
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
    FROM orleans_reminders
    WHERE service_id = @ServiceId
      AND grain_id = @GrainId
    $sql$
),
(
    'ReadReminderRowKey',
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
    FROM orleans_reminders
    WHERE service_id = @ServiceId
      AND grain_id = @GrainId
      AND reminder_name = @ReminderName
    $sql$
),
(
    'ReadRangeRows1Key',
    -- A range that does not wrap: (BeginHash, EndHash].
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
    FROM orleans_reminders
    WHERE service_id = @ServiceId
      AND grain_hash > @BeginHash
      AND grain_hash <= @EndHash
    $sql$
),
(
    'ReadRangeRows2Key',
    -- A range that wraps: (BeginHash, end of ring] and [start of ring, EndHash]; the whole ring when they are equal.
    $sql$
    SELECT grain_id      AS "GrainId",
           reminder_name AS "ReminderName",
           start_time    AS "StartTime",
           period        AS "Period",
           version       AS "Version"
    FROM orleans_reminders
    WHERE service_id = @ServiceId
      AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
    $sql$
),
(
    'UpsertReminderRowKey',
    -- Registering a reminder again replaces its schedule and moves its version; the result is the new version.
    $sql$
    INSERT INTO orleans_reminders
        (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
    VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
    SET start_time = excluded.start_time,
        period = excluded.period,
        grain_hash = excluded.grain_hash,
        version = CASE WHEN orleans_reminders.version = 2147483647 THEN 0 ELSE orleans_reminders.version + 1 END
    RETURNING version AS "Version"
    $sql$
),
(
    'DeleteReminderRowKey',
    -- Removes a reminder only at the version the caller holds; false tells it that someone changed it meanwhile.
    $sql$
    WITH deleted AS (
        DELETE FROM orleans_reminders
        WHERE service_id = @ServiceId
          AND grain_id = @GrainId
          AND reminder_name = @ReminderName
          AND version = @Version
        RETURNING 1
    )
    SELECT count(*) > 0 FROM deleted
    $sql$
),
(
    'DeleteReminderRowsKey',
    -- Forgets every reminder of a service (used by tests and tools).
    $sql$
    DELETE FROM orleans_reminders
    WHERE service_id = @ServiceId
    $sql$
);
