-- Cluster membership for Microsoft.Orleans.Clustering.AdoNet (UseAdoNetClustering on silos and clients).
--
-- What the provider (10.x) expects, read from its source:
--   * The membership table of one cluster (@DeploymentId = ClusterOptions.ClusterId) has a version. Every change of
--     a member row must also move that version, and only if it still equals the version the silo last read
--     (@Version, the table ETag): that is Orleans' optimistic concurrency for membership, so both happen in one
--     statement here.
--   * A silo is identified by @Address text, @Port int and @Generation int. @Status int is a SiloStatus
--     (3 Active, 6 Dead). Times (@StartTime, @IAmAliveTime) arrive as UTC DateTimes that Npgsql sends as timestamptz.
--     @SuspectTimes is Orleans' own "silo,time|silo,time" text; we store it as it comes.
--   * Reads return one row per member plus the table version in every row, and the version row alone (member
--     columns NULL, StartTime NULL) when the cluster has no member yet; an empty result breaks the provider.
--   * Conditional writes return a single boolean column.

CREATE TABLE orleans_membership_version (
    deployment_id text        NOT NULL PRIMARY KEY,
    version       integer     NOT NULL DEFAULT 0,
    modified_on   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orleans_membership (
    -- Deleting a cluster's version row (DeleteMembershipTableEntriesKey) takes its members with it.
    deployment_id   text        NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,
    proxy_port      integer     NOT NULL,
    suspect_times   text,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'InsertMembershipVersionKey',
    -- Run by every silo at start. Creates the version row once; true only for the silo that created it. Racing
    -- silos must not fail, hence ON CONFLICT, and every caller gets exactly one row back.
    $sql$
    WITH inserted AS (
        INSERT INTO orleans_membership_version (deployment_id)
        VALUES (@DeploymentId)
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) > 0 FROM inserted
    $sql$
),
(
    'MembershipReadAllKey',
    -- Every member of the cluster, each row carrying the table version. LEFT JOIN keeps the version row when the
    -- cluster has no member yet.
    $sql$
    SELECT v.version         AS "Version",
           m.address         AS "Address",
           m.port            AS "Port",
           m.generation      AS "Generation",
           m.silo_name       AS "SiloName",
           m.host_name       AS "HostName",
           m.status          AS "Status",
           m.proxy_port      AS "ProxyPort",
           m.suspect_times   AS "SuspectTimes",
           m.start_time      AS "StartTime",
           m.i_am_alive_time AS "IAmAliveTime"
    FROM orleans_membership_version v
    LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
    WHERE v.deployment_id = @DeploymentId
    $sql$
),
(
    'MembershipReadRowKey',
    -- One member and the table version; the member filter sits in the join so the version row survives a miss.
    $sql$
    SELECT v.version         AS "Version",
           m.address         AS "Address",
           m.port            AS "Port",
           m.generation      AS "Generation",
           m.silo_name       AS "SiloName",
           m.host_name       AS "HostName",
           m.status          AS "Status",
           m.proxy_port      AS "ProxyPort",
           m.suspect_times   AS "SuspectTimes",
           m.start_time      AS "StartTime",
           m.i_am_alive_time AS "IAmAliveTime"
    FROM orleans_membership_version v
    LEFT JOIN orleans_membership m
           ON m.deployment_id = v.deployment_id
          AND m.address = @Address
          AND m.port = @Port
          AND m.generation = @Generation
    WHERE v.deployment_id = @DeploymentId
    $sql$
),
(
    'InsertMembershipKey',
    -- Adds a silo if the table is still at @Version and the silo is not there yet; moves the version in the same
    -- statement. The member is inserted only through the "bumped" row, so a stale version inserts nothing; ON
    -- CONFLICT turns a lost race on the same silo into false instead of an error. Names are stored as '' rather
    -- than NULL because the provider reads them back as plain strings.
    $sql$
    WITH bumped AS (
        UPDATE orleans_membership_version
        SET version = version + 1,
            modified_on = now()
        WHERE deployment_id = @DeploymentId
          AND version = @Version
          AND NOT EXISTS (
              SELECT 1 FROM orleans_membership
              WHERE deployment_id = @DeploymentId
                AND address = @Address
                AND port = @Port
                AND generation = @Generation)
        RETURNING deployment_id
    ),
    inserted AS (
        INSERT INTO orleans_membership
            (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
             start_time, i_am_alive_time)
        SELECT deployment_id, @Address, @Port, @Generation, coalesce(@SiloName, ''), coalesce(@HostName, ''),
               @Status, @ProxyPort,
               @StartTime, @IAmAliveTime
        FROM bumped
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) = 1 FROM inserted
    $sql$
),
(
    'UpdateMembershipKey',
    -- Changes a silo's status, suspicions and liveness if the table is still at @Version and the silo exists;
    -- moves the version in the same statement.
    $sql$
    WITH bumped AS (
        UPDATE orleans_membership_version
        SET version = version + 1,
            modified_on = now()
        WHERE deployment_id = @DeploymentId
          AND version = @Version
          AND EXISTS (
              SELECT 1 FROM orleans_membership
              WHERE deployment_id = @DeploymentId
                AND address = @Address
                AND port = @Port
                AND generation = @Generation)
        RETURNING deployment_id
    ),
    updated AS (
        UPDATE orleans_membership m
        SET status = @Status,
            suspect_times = @SuspectTimes,
            i_am_alive_time = @IAmAliveTime
        FROM bumped b
        WHERE m.deployment_id = b.deployment_id
          AND m.address = @Address
          AND m.port = @Port
          AND m.generation = @Generation
        RETURNING 1
    )
    SELECT count(*) = 1 FROM updated
    $sql$
),
(
    'UpdateIAmAlivetimeKey',
    -- The periodic heartbeat. Orleans does not version it: it is a hint for diagnostics and cleanup, not a
    -- membership change, so it must not make every other silo re-read the table.
    $sql$
    UPDATE orleans_membership
    SET i_am_alive_time = @IAmAliveTime
    WHERE deployment_id = @DeploymentId
      AND address = @Address
      AND port = @Port
      AND generation = @Generation
    $sql$
),
(
    'GatewaysQueryKey',
    -- Used by clients: the gateways of the cluster's silos in @Status (always Active). Silos without a gateway
    -- have proxy port 0.
    $sql$
    SELECT address    AS "Address",
           proxy_port AS "ProxyPort",
           generation AS "Generation"
    FROM orleans_membership
    WHERE deployment_id = @DeploymentId
      AND status = @Status
      AND proxy_port > 0
    $sql$
),
(
    'DeleteMembershipTableEntriesKey',
    -- Forgets a whole cluster (its members go by the cascading foreign key).
    $sql$
    DELETE FROM orleans_membership_version
    WHERE deployment_id = @DeploymentId
    $sql$
),
(
    'CleanupDefunctSiloEntriesKey',
    -- Required by the provider but used only when CleanupDefunctSiloEntryKey below is absent: removes rows of silos
    -- that are not Active and have not reported alive since @IAmAliveTime.
    $sql$
    DELETE FROM orleans_membership
    WHERE deployment_id = @DeploymentId
      AND i_am_alive_time < @IAmAliveTime
      AND status <> 3
    $sql$
),
(
    'CleanupDefunctSiloEntryKey',
    -- Optional per-row cleanup, preferred by the provider when present. It has already picked a Dead silo whose
    -- start, heartbeat and suspicions are all older than its cutoff, from a read it made; this deletes the row only
    -- if it is still exactly what was read, so a row that changed since (a new heartbeat or vote) is kept. Times come
    -- back as they were read, so equality holds; suspicions compare NULL and '' alike because Orleans may send
    -- either for "none".
    $sql$
    DELETE FROM orleans_membership
    WHERE deployment_id = @DeploymentId
      AND address = @Address
      AND port = @Port
      AND generation = @Generation
      AND status = 6
      AND start_time = @StartTime
      AND i_am_alive_time = @IAmAliveTime
      AND coalesce(suspect_times, '') = coalesce(@SuspectTimes, '')
    $sql$
);
