-- Grain state for Microsoft.Orleans.Persistence.AdoNet (AddAdoNetGrainStorage).
--
-- What the provider (10.x) expects, read from its source:
--   * It binds on every call: @GrainIdHash int, @GrainTypeHash int (its own hashes of the key and of the state
--     name), @GrainIdN0 bigint, @GrainIdN1 bigint (a Guid key as two halves, an integer key in N1, both 0 for a
--     string key), @GrainIdExtensionString text (a string key, or a key extension, else NULL),
--     @GrainTypeString text (the state name) and @ServiceId text.
--     Writes add @PayloadBinary bytea and @GrainStateVersion int (the grain's ETag; NULL when it has none).
--   * The ETag is our integer version. A write, clear or delete that finds another version than the one bound must
--     return no row (or NULL): the provider then throws InconsistentStateException. That check, made atomically by
--     the database, is what stops two activations of one grain from overwriting each other.
--
-- Note the key holds no grain type, only the key and the state name: two grain classes that use the same state name
-- and the same key share one row. Give each grain class its own state name.

CREATE TABLE orleans_grain_state (
    -- Hashes first: they make the lookup index narrow; the exact columns after them settle hash collisions.
    grain_id_hash      integer     NOT NULL,
    grain_type_hash    integer     NOT NULL,
    service_id         text        NOT NULL,
    grain_type         text        NOT NULL,
    grain_id_n0        bigint      NOT NULL,
    grain_id_n1        bigint      NOT NULL,
    grain_id_extension text,
    -- NULL after a clear that keeps the row: the provider then reports "no record" but keeps the version counting.
    payload_binary     bytea,
    version            integer     NOT NULL,
    modified_on        timestamptz NOT NULL DEFAULT now(),
    -- One row per grain state, also when the key has no extension (NULLS NOT DISTINCT, PostgreSQL 15+). This lets
    -- the first write of two racing activations win and the other see a conflict, and it serves every lookup below.
    -- A b-tree entry is limited to about 2.7 kB, so keys and state names must stay well below that.
    CONSTRAINT orleans_grain_state_key UNIQUE NULLS NOT DISTINCT
        (grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadFromStorageKey',
    -- Result: PayloadBinary (NULL means no record) and Version (the ETag). No row means never written.
    $sql$
    SELECT payload_binary AS "PayloadBinary",
           version        AS "Version"
    FROM orleans_grain_state
    WHERE grain_id_hash = @GrainIdHash
      AND grain_type_hash = @GrainTypeHash
      AND service_id = @ServiceId
      AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0
      AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
    $sql$
),
(
    'WriteToStorageKey',
    -- Result: NewGrainStateVersion, or no row on a version conflict.
    -- With an ETag: update only the row still at that version. Without one: insert the first version, and if a row
    -- exists already (another activation wrote first) insert nothing. Both branches sit in one statement so that the
    -- check and the change cannot be separated. The version wraps at the int limit rather than failing a busy grain.
    $sql$
    WITH updated AS (
        UPDATE orleans_grain_state
        SET payload_binary = @PayloadBinary,
            version = CASE WHEN version = 2147483647 THEN 1 ELSE version + 1 END,
            modified_on = now()
        WHERE @GrainStateVersion IS NOT NULL
          AND grain_id_hash = @GrainIdHash
          AND grain_type_hash = @GrainTypeHash
          AND service_id = @ServiceId
          AND grain_type = @GrainTypeString
          AND grain_id_n0 = @GrainIdN0
          AND grain_id_n1 = @GrainIdN1
          AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
          AND version = @GrainStateVersion
        RETURNING version
    ),
    inserted AS (
        INSERT INTO orleans_grain_state
            (grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension,
             payload_binary, version)
        SELECT @GrainIdHash, @GrainTypeHash, @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
               @GrainIdExtensionString, @PayloadBinary, 1
        WHERE @GrainStateVersion IS NULL
        ON CONFLICT DO NOTHING
        RETURNING version
    )
    SELECT version AS "NewGrainStateVersion" FROM updated
    UNION ALL
    SELECT version FROM inserted
    $sql$
),
(
    'ClearStorageKey',
    -- Used when DeleteStateOnClear is false (the default). Result: the new version in the first column, or no row on
    -- a version conflict. The row stays, without payload, so that the version keeps counting: a stale activation
    -- holding the pre-clear ETag still conflicts afterwards.
    $sql$
    UPDATE orleans_grain_state
    SET payload_binary = NULL,
        version = CASE WHEN version = 2147483647 THEN 1 ELSE version + 1 END,
        modified_on = now()
    WHERE grain_id_hash = @GrainIdHash
      AND grain_type_hash = @GrainTypeHash
      AND service_id = @ServiceId
      AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0
      AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version AS "NewGrainStateVersion"
    $sql$
),
(
    'DeleteStorageKey',
    -- Optional key, used only when DeleteStateOnClear is true: removes the row. Result: any non-NULL value other
    -- than the bound version means success (the provider then forgets the ETag), no row means a version conflict.
    $sql$
    DELETE FROM orleans_grain_state
    WHERE grain_id_hash = @GrainIdHash
      AND grain_type_hash = @GrainTypeHash
      AND service_id = @ServiceId
      AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0
      AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING CASE WHEN version = 2147483647 THEN 1 ELSE version + 1 END AS "NewGrainStateVersion"
    $sql$
);
