-- InPsyq Weekly, PIPELINE migration set, V1.1: durable alerting (runs.md "Alerts").
--
--   alert_outbox    every webhook message to send: one inline attempt by the run, later attempts by the
--                   run-reaper job (status pending -> sent | failed, attempts / next_attempt_at / last_error).
--   alert_incidents the dedup state: one row per (dedup_group, scope, week_start); an open row
--                   (resolved_at IS NULL) suppresses repeat alerts and gets exactly one recovery message.
-- scope is 'all' | 'org:{uuid}' | 'team:{uuid}' (lower-case uuid text, same format as weekly_runs.scope).
-- dedup_group is chosen by the code (run_failed/run_partial/run_abandoned share one group, week_missed
-- has its own); it is free text here. No foreign keys (rows must survive run retention).
-- Runs once inside one transaction (Evolve default); no CONCURRENTLY.

CREATE TABLE alert_outbox (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    kind            text        NOT NULL,
    dedup_group     text        NOT NULL,
    scope           text        NOT NULL,
    week_start      date        NOT NULL,
    run_id          uuid        NULL,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NULL DEFAULT now(),
    last_error      text        NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz NULL,
    CONSTRAINT alert_outbox_pkey PRIMARY KEY (id),
    CONSTRAINT alert_outbox_kind_check
        CHECK (kind IN ('run_failed', 'run_partial', 'run_abandoned', 'week_missed', 'recovery')),
    CONSTRAINT alert_outbox_status_check CHECK (status IN ('pending', 'sent', 'failed')),
    CONSTRAINT alert_outbox_attempts_check CHECK (attempts >= 0),
    CONSTRAINT alert_outbox_scope_check
        CHECK (scope = 'all' OR scope ~ '^(org|team):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    CONSTRAINT alert_outbox_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1)
);

-- run-reaper: WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at.
CREATE INDEX alert_outbox_status_next_attempt_idx ON alert_outbox (status, next_attempt_at);
-- retention-cleanup of alert rows.
CREATE INDEX alert_outbox_created_idx ON alert_outbox (created_at);

CREATE TABLE alert_incidents (
    dedup_group     text        NOT NULL,
    scope           text        NOT NULL,
    week_start      date        NOT NULL,
    kind            text        NOT NULL,   -- the latest alerting kind of this incident (never 'recovery')
    first_run_id    uuid        NULL,       -- NULL for week_missed (no run exists)
    last_run_id     uuid        NULL,
    opened_at       timestamptz NOT NULL DEFAULT now(),
    last_alerted_at timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz NULL,       -- NULL = open
    CONSTRAINT alert_incidents_pkey PRIMARY KEY (dedup_group, scope, week_start),
    CONSTRAINT alert_incidents_kind_check
        CHECK (kind IN ('run_failed', 'run_partial', 'run_abandoned', 'week_missed')),
    CONSTRAINT alert_incidents_scope_check
        CHECK (scope = 'all' OR scope ~ '^(org|team):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
    CONSTRAINT alert_incidents_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1)
);

-- Recovery lookup: open incidents of a week (for the run's scope, or all scopes when the run is 'all').
CREATE INDEX alert_incidents_open_week_idx
    ON alert_incidents (week_start, scope) WHERE resolved_at IS NULL;
