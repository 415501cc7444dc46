-- InPsyq Weekly, PIPELINE migration set, V1.6: a run as work items that every instance processes.
--
-- A non-dry run is planned into work items: (run, org, stage, up to WEEKLY_WORK_ITEM_TEAMS teams). The rows of
-- weekly_work_items are the truth; a queue message only names one. A worker that starts a delivery takes a fresh
-- claim; every write of the item asserts the claim (assert_work_claim, in the same batch as the org fence check), so a
-- stale duplicate delivery or a worker of a run that was declared stalled writes nothing.
--   weekly_work_items    one row per item: pending → running (claimed) → final, with its outcome
--   weekly_work_results  one row per (run, team, stage): what the team's stage did, written by the item's worker
--   weekly_work_outbox   messages to send, written in the transaction that creates their items, sent after commit
-- weekly_runs gains deadline_at and heartbeat_at (Postgres clock times every instance compares with now()) and report.

-- report: the run's final report as its HTTP body, so whoever asks for it later (a poll of the status URL, the
-- admitting process) gets what a run in one process would have answered.
ALTER TABLE weekly_runs
    ADD COLUMN deadline_at  timestamptz NULL,
    ADD COLUMN heartbeat_at timestamptz NULL,
    ADD COLUMN report       jsonb       NULL;

CREATE TABLE weekly_work_items (
    item_id     uuid        NOT NULL,
    run_id      uuid        NOT NULL,
    org_id      uuid        NOT NULL,
    stage       smallint    NOT NULL,
    last_stage  smallint    NOT NULL,
    team_ids    uuid[]      NOT NULL,
    status      text        NOT NULL DEFAULT 'pending',
    outcome     text        NULL,
    reason      text        NULL,
    notes       text[]      NOT NULL DEFAULT '{}',
    claim       uuid        NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    host        text        NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz NULL,
    finished_at timestamptz NULL,
    CONSTRAINT weekly_work_items_pkey PRIMARY KEY (item_id),
    CONSTRAINT weekly_work_items_run_fkey FOREIGN KEY (run_id) REFERENCES weekly_runs (run_id) ON DELETE CASCADE,
    -- last_stage: the run mode's last stage, so the item that finishes a stage knows whether another follows.
    CONSTRAINT weekly_work_items_stage_check CHECK (stage BETWEEN 1 AND 3 AND last_stage BETWEEN stage AND 3),
    CONSTRAINT weekly_work_items_teams_check CHECK (cardinality(team_ids) > 0),
    CONSTRAINT weekly_work_items_status_check CHECK (status IN ('pending', 'running', 'final')),
    -- done: every team has its result; failed: poisoned after too many deliveries; not_started: deadline or stall.
    CONSTRAINT weekly_work_items_outcome_check CHECK (
        (status = 'final') = (outcome IS NOT NULL) AND (outcome IS NULL OR outcome IN ('done', 'failed', 'not_started'))),
    CONSTRAINT weekly_work_items_claim_check CHECK (status <> 'running' OR claim IS NOT NULL)
);

CREATE INDEX weekly_work_items_run_idx ON weekly_work_items (run_id, org_id, stage, status);

CREATE TABLE weekly_work_results (
    run_id      uuid        NOT NULL,
    team_id     uuid        NOT NULL,
    stage       smallint    NOT NULL,
    org_id      uuid        NOT NULL,
    status      text        NOT NULL,
    reason      text        NULL,
    code        text        NULL,
    message     text        NULL,
    tokens_in   bigint      NOT NULL DEFAULT 0,
    tokens_out  bigint      NOT NULL DEFAULT 0,
    wrote       boolean     NOT NULL DEFAULT false,
    duration_ms bigint      NOT NULL DEFAULT 0,
    item_id     uuid        NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT weekly_work_results_pkey PRIMARY KEY (run_id, team_id, stage),
    CONSTRAINT weekly_work_results_run_fkey FOREIGN KEY (run_id) REFERENCES weekly_runs (run_id) ON DELETE CASCADE,
    CONSTRAINT weekly_work_results_stage_check CHECK (stage BETWEEN 1 AND 3),
    CONSTRAINT weekly_work_results_status_check
        CHECK (status IN ('succeeded', 'skipped', 'failed', 'timed_out', 'not_started', 'locked'))
);

CREATE INDEX weekly_work_results_org_idx ON weekly_work_results (run_id, org_id, stage);

CREATE TABLE weekly_work_outbox (
    outbox_id  bigint      GENERATED ALWAYS AS IDENTITY,
    run_id     uuid        NOT NULL,
    item_id    uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz NULL,
    CONSTRAINT weekly_work_outbox_pkey PRIMARY KEY (outbox_id),
    CONSTRAINT weekly_work_outbox_run_fkey FOREIGN KEY (run_id) REFERENCES weekly_runs (run_id) ON DELETE CASCADE
);

CREATE INDEX weekly_work_outbox_unsent_idx ON weekly_work_outbox (created_at) WHERE sent_at IS NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON weekly_work_items, weekly_work_results, weekly_work_outbox TO inpsyq_service;
GRANT SELECT ON weekly_work_items, weekly_work_results, weekly_work_outbox TO inpsyq_admin_ro;

-- assert_work_claim(item_id, claim) takes a share lock on the item row and raises SQLSTATE IQ410 unless the item is
-- running under that claim. Sent in the same batch as assert_lock_fence, before the unit's statements.
CREATE FUNCTION assert_work_claim(item_id uuid, claim uuid)
    RETURNS void
    LANGUAGE plpgsql
    VOLATILE
    SECURITY INVOKER
    SET search_path FROM CURRENT
AS $fn$
BEGIN
    PERFORM 1
       FROM weekly_work_items AS w
      WHERE w.item_id = assert_work_claim.item_id
        AND w.claim = assert_work_claim.claim
        AND w.status = 'running'
        FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Work item % is no longer held by claim %.', assert_work_claim.item_id, assert_work_claim.claim
            USING ERRCODE = 'IQ410';
    END IF;
END
$fn$;

REVOKE EXECUTE ON FUNCTION assert_work_claim(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION assert_work_claim(uuid, uuid) TO inpsyq_service;
