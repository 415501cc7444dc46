-- InPsyq Weekly, PIPELINE migration set, V1.2: scheduled job execution tracking (jobs.md).
--
-- Creates scheduled_job_executions (one row per attempt of a job execution; execution_id is shared by
-- the attempts of one execution), row-level security with policies for the NOLOGIN roles
-- inpsyq_service (full access) and inpsyq_admin_ro (read-only), the SQL helpers log_job_start (4- and
-- 3-argument forms) and log_job_complete, and table grants to both roles on all pipeline tables.
-- Runs once inside one transaction (Evolve default); no CONCURRENTLY.

-- ---------------------------------------------------------------- roles
-- Roles are cluster-wide: another database of the same server (another environment, a test database)
-- may already have created them, or be creating them right now. So: create only when missing, and treat a
-- concurrent creation as success. A concurrent CREATE ROLE that loses the race reports duplicate_object,
-- or unique_violation (pg_authid_rolname_index) when it waited on the other transaction's insert.
-- The migrating user needs CREATEROLE only when a role is actually missing.
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['inpsyq_service', 'inpsyq_admin_ro'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN
                    RAISE NOTICE 'role % was created concurrently; using it', r;
            END;
        END IF;
    END LOOP;
END
$roles$;

-- ---------------------------------------------------------------- table
CREATE TABLE scheduled_job_executions (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    job_id       text        NOT NULL,
    execution_id uuid        NOT NULL,
    attempt      integer     NOT NULL,
    trigger      text        NOT NULL DEFAULT 'schedule',
    status       text        NOT NULL DEFAULT 'running',
    started_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz NULL,
    duration_ms  bigint      NULL,
    error        text        NULL,
    result       jsonb       NULL,
    metrics      jsonb       NULL,
    host         text        NULL,
    CONSTRAINT scheduled_job_executions_pkey PRIMARY KEY (id),
    CONSTRAINT scheduled_job_executions_execution_attempt_key UNIQUE (execution_id, attempt),
    CONSTRAINT scheduled_job_executions_attempt_check CHECK (attempt >= 1),
    CONSTRAINT scheduled_job_executions_trigger_check CHECK (trigger IN ('schedule', 'manual', 'retry')),
    CONSTRAINT scheduled_job_executions_status_check
        CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'skipped')),
    CONSTRAINT scheduled_job_executions_completed_check CHECK (completed_at >= started_at),
    -- a running row has no completion time, a final row has one (the reaper's HOST_LOST update too).
    CONSTRAINT scheduled_job_executions_running_check CHECK ((status = 'running') = (completed_at IS NULL)),
    CONSTRAINT scheduled_job_executions_duration_check CHECK (duration_ms IS NULL OR duration_ms >= 0)
);

CREATE INDEX scheduled_job_executions_job_started_idx
    ON scheduled_job_executions (job_id, started_at DESC);
CREATE INDEX scheduled_job_executions_status_started_idx
    ON scheduled_job_executions (status, started_at DESC);

-- ---------------------------------------------------------------- row-level security
-- Not FORCEd: the table owner (the migrating / application login) bypasses RLS as usual. Roles that are
-- members of inpsyq_service / inpsyq_admin_ro get the policies below; any other non-owner sees no rows.
ALTER TABLE scheduled_job_executions ENABLE ROW LEVEL SECURITY;

CREATE POLICY scheduled_job_executions_service_all
    ON scheduled_job_executions
    FOR ALL TO inpsyq_service
    USING (true) WITH CHECK (true);

CREATE POLICY scheduled_job_executions_admin_read
    ON scheduled_job_executions
    FOR SELECT TO inpsyq_admin_ro
    USING (true);

-- ---------------------------------------------------------------- grants
-- inpsyq_service: read/write on every pipeline table; inpsyq_admin_ro: read-only. (The identity sequence
-- of alert_outbox needs no separate grant: INSERT on the table is enough for GENERATED ... AS IDENTITY.)
GRANT SELECT, INSERT, UPDATE, DELETE ON
    scheduled_job_executions, weekly_aggregates, team_series, weekly_interpretations, weekly_runs,
    weekly_lock_fences, alert_outbox, alert_incidents
    TO inpsyq_service;
GRANT SELECT ON
    scheduled_job_executions, weekly_aggregates, team_series, weekly_interpretations, weekly_runs,
    weekly_lock_fences, alert_outbox, alert_incidents
    TO inpsyq_admin_ro;

-- ---------------------------------------------------------------- helpers
-- SECURITY INVOKER (the default), on purpose. EXECUTE is granted only to inpsyq_service, which already
-- has full rights on the table and a permissive RLS policy, so the helpers need no elevated privileges.
-- SECURITY DEFINER would run them as the owner (the migrating admin), bypassing RLS and widening the
-- attack surface (search_path tricks) for no gain. search_path is pinned to the schema the migration ran
-- in (SET search_path FROM CURRENT) so a caller's search_path cannot redirect the table name.
-- Parameter names follow jobs.md; inside the bodies they are qualified with the function name because
-- they coincide with column names.

-- Starts one attempt and returns its row id (pass that id to log_job_complete).
CREATE FUNCTION log_job_start(job_id text, execution_id uuid, attempt integer, trigger text)
    RETURNS uuid
    LANGUAGE plpgsql
    VOLATILE
    SECURITY INVOKER
    SET search_path FROM CURRENT
AS $fn$
DECLARE
    new_id uuid;
BEGIN
    INSERT INTO scheduled_job_executions (job_id, execution_id, attempt, trigger, status, started_at)
    VALUES (log_job_start.job_id, log_job_start.execution_id, log_job_start.attempt,
            log_job_start.trigger, 'running', now())
    RETURNING scheduled_job_executions.id INTO new_id;
    RETURN new_id;
END
$fn$;

-- The seeds' 3-argument form: trigger 'schedule'. (The 4-argument form has no default for trigger, so
-- a 3-argument call always resolves to this function without ambiguity.)
CREATE FUNCTION log_job_start(job_id text, execution_id uuid, attempt integer)
    RETURNS uuid
    LANGUAGE sql
    VOLATILE
    SECURITY INVOKER
    SET search_path FROM CURRENT
AS $fn$
    SELECT log_job_start(log_job_start.job_id, log_job_start.execution_id, log_job_start.attempt, 'schedule'::text);
$fn$;

-- Completes one attempt by row id, only while it is still 'running'; returns true when it did, false when
-- the row does not exist or is already final (e.g. the reaper marked it HOST_LOST). completed_at = now(),
-- never earlier than started_at; duration_ms defaults to completed_at - started_at when passed NULL.
CREATE FUNCTION log_job_complete(id uuid, status text, error text, duration_ms bigint, result jsonb, metrics jsonb)
    RETURNS boolean
    LANGUAGE plpgsql
    VOLATILE
    SECURITY INVOKER
    SET search_path FROM CURRENT
AS $fn$
BEGIN
    IF log_job_complete.status IS NULL
       OR log_job_complete.status NOT IN ('succeeded', 'failed', 'timed_out', 'cancelled', 'skipped') THEN
        RAISE EXCEPTION 'log_job_complete: status must be a final status, got %', coalesce(log_job_complete.status, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    UPDATE scheduled_job_executions AS e
       SET status       = log_job_complete.status,
           completed_at = greatest(now(), e.started_at),
           duration_ms  = coalesce(log_job_complete.duration_ms,
                                   floor(extract(epoch FROM (greatest(now(), e.started_at) - e.started_at)) * 1000)::bigint),
           error        = log_job_complete.error,
           result       = log_job_complete.result,
           metrics      = log_job_complete.metrics
     WHERE e.id = log_job_complete.id
       AND e.status = 'running';

    RETURN FOUND;
END
$fn$;

REVOKE EXECUTE ON FUNCTION log_job_start(text, uuid, integer, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION log_job_start(text, uuid, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION log_job_complete(uuid, text, text, bigint, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION log_job_start(text, uuid, integer, text) TO inpsyq_service;
GRANT EXECUTE ON FUNCTION log_job_start(text, uuid, integer) TO inpsyq_service;
GRANT EXECUTE ON FUNCTION log_job_complete(uuid, text, text, bigint, jsonb, jsonb) TO inpsyq_service;
