-- InPsyq Weekly, PIPELINE migration set, V1.0: the pipeline's own output and run-control tables.
--
-- Always migrated (own Evolve changelog table, separate from the Source set). These tables deliberately
-- have NO foreign keys into the source tables (orgs, teams, measurement_*, team_dependencies): in Azure
-- those belong to another product and may be migrated separately, or live elsewhere.
--   weekly_aggregates       stage 1 output (domain.md "Stage 1")
--   team_series             stage 2 output per team, week and index (domain.md "Stage 2")
--   weekly_interpretations  stage 3 output, one active row per team-week (domain.md "Stage 3")
--   weekly_runs             audit row per non-dry run (runs.md "Audit")
--   weekly_lock_fences      fencing tokens for the blob-lease org locks (runs.md "Locking")
-- Conventions: timestamptz everywhere, uuid ids, double precision for computed values, jsonb documents,
-- hashes as text (lower-case hex sha256), every week_start is a Monday (ISO week, UTC).
-- Runs once inside one transaction (Evolve default); no CONCURRENTLY.

-- ---------------------------------------------------------------- stage 1
-- factors: {factor: {mean, sd, n, se}}; indices: {index: {value, sigma, state}} (value null when not computable).
-- A suppressed row carries counts only: factors = '{}' and indices = '{}' (never SQL NULL).
CREATE TABLE weekly_aggregates (
    team_id         uuid        NOT NULL,
    week_start      date        NOT NULL,
    org_id          uuid        NOT NULL,
    respondents     integer     NOT NULL,
    responses       integer     NOT NULL,
    suppressed      boolean     NOT NULL,
    factors         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    indices         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    compute_version text        NOT NULL,
    input_hash      text        NOT NULL,
    run_id          uuid        NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT weekly_aggregates_pkey PRIMARY KEY (team_id, week_start),
    CONSTRAINT weekly_aggregates_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1),
    CONSTRAINT weekly_aggregates_counts_check CHECK (respondents >= 0 AND responses >= 0),
    CONSTRAINT weekly_aggregates_factors_object_check CHECK (jsonb_typeof(factors) = 'object'),
    CONSTRAINT weekly_aggregates_indices_object_check CHECK (jsonb_typeof(indices) = 'object')
);

CREATE INDEX weekly_aggregates_org_week_idx ON weekly_aggregates (org_id, week_start);

-- ---------------------------------------------------------------- stage 2
-- NAMING: domain.md calls the index column "index"; INDEX is an SQL keyword, so the column is
-- index_name (values: strain | withdrawal_risk | trust_gap | engagement). Same meaning, no quoting needed.
-- points: JSON array of exactly 12 {week_start, value, delta, trend} objects, oldest first.
-- value/z/delta/trend are NULL when not computable; input_hash is the attribution hash.
CREATE TABLE team_series (
    team_id         uuid             NOT NULL,
    week_start      date             NOT NULL,
    index_name      text             NOT NULL,
    org_id          uuid             NOT NULL,
    value           double precision NULL,
    z               double precision NULL,
    delta           double precision NULL,
    trend           text             NULL,
    volatility      double precision NOT NULL,
    points          jsonb            NOT NULL,
    regime          text             NOT NULL,
    stability       text             NOT NULL,
    coverage_weeks  integer          NOT NULL,
    compute_version text             NOT NULL,
    input_hash      text             NOT NULL,
    run_id          uuid             NOT NULL,
    computed_at     timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT team_series_pkey PRIMARY KEY (team_id, week_start, index_name),
    CONSTRAINT team_series_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1),
    CONSTRAINT team_series_index_name_check
        CHECK (index_name IN ('strain', 'withdrawal_risk', 'trust_gap', 'engagement')),
    CONSTRAINT team_series_trend_check CHECK (trend IN ('UP', 'DOWN', 'STABLE')),
    CONSTRAINT team_series_regime_check CHECK (regime IN ('NOISE', 'EMERGING', 'PERSISTENT')),
    CONSTRAINT team_series_stability_check CHECK (stability IN ('LOW', 'MED', 'HIGH')),
    CONSTRAINT team_series_coverage_weeks_check CHECK (coverage_weeks BETWEEN 0 AND 12),
    CONSTRAINT team_series_volatility_check CHECK (volatility >= 0),
    CONSTRAINT team_series_points_check
        CHECK (jsonb_typeof(points) = 'array' AND jsonb_array_length(points) = 12)
);

COMMENT ON COLUMN team_series.index_name IS
    'The spec''s "index" column (strain | withdrawal_risk | trust_gap | engagement), renamed to avoid the SQL keyword.';

CREATE INDEX team_series_org_week_idx ON team_series (org_id, week_start);

-- ---------------------------------------------------------------- stage 3
-- Atomic replace: in one transaction deactivate the active row of (team_id, week_start), insert the new one.
-- sections: the validated interpretation.v1 document. Offline interpreter: model_id 'offline-v1', tokens 0.
CREATE TABLE weekly_interpretations (
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    org_id         uuid        NOT NULL,
    team_id        uuid        NOT NULL,
    week_start     date        NOT NULL,
    input_hash     text        NOT NULL,
    model_id       text        NOT NULL,
    prompt_version text        NOT NULL,
    sections       jsonb       NOT NULL,
    tokens_in      integer     NOT NULL DEFAULT 0,
    tokens_out     integer     NOT NULL DEFAULT 0,
    is_active      boolean     NOT NULL DEFAULT true,
    run_id         uuid        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT weekly_interpretations_pkey PRIMARY KEY (id),
    CONSTRAINT weekly_interpretations_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1),
    CONSTRAINT weekly_interpretations_tokens_check CHECK (tokens_in >= 0 AND tokens_out >= 0),
    CONSTRAINT weekly_interpretations_sections_object_check CHECK (jsonb_typeof(sections) = 'object')
);

-- At most one active interpretation per team-week (also the lookup for the skip check).
CREATE UNIQUE INDEX weekly_interpretations_active_key
    ON weekly_interpretations (team_id, week_start) WHERE is_active;
-- retention-cleanup: inactive rows older than RETENTION_INACTIVE_INTERPRETATIONS_DAYS.
CREATE INDEX weekly_interpretations_inactive_created_idx
    ON weekly_interpretations (created_at) WHERE NOT is_active;

-- ---------------------------------------------------------------- audit
-- One row per non-dry run: inserted 'running' before work starts, finished in a finally.
-- scope is 'all' | 'org:{org_id}' | 'team:{team_id}' (lower-case uuid text) and must agree with the
-- org_id/team_id columns. The count columns carry the run report's counts names one-to-one.
CREATE TABLE weekly_runs (
    run_id                  uuid        NOT NULL,
    trigger                 text        NOT NULL,
    week_start              date        NOT NULL,
    week_label              text        NOT NULL,
    scope                   text        NOT NULL,
    org_id                  uuid        NULL,
    team_id                 uuid        NULL,
    mode                    text        NOT NULL,
    force                   boolean     NOT NULL DEFAULT false,
    status                  text        NOT NULL DEFAULT 'running',
    orgs_total              integer     NOT NULL DEFAULT 0,
    orgs_succeeded          integer     NOT NULL DEFAULT 0,
    orgs_failed             integer     NOT NULL DEFAULT 0,
    teams_total             integer     NOT NULL DEFAULT 0,
    teams_succeeded         integer     NOT NULL DEFAULT 0,
    teams_failed            integer     NOT NULL DEFAULT 0,
    teams_skipped           integer     NOT NULL DEFAULT 0,
    aggregates_written      integer     NOT NULL DEFAULT 0,
    aggregates_skipped      integer     NOT NULL DEFAULT 0,
    attributions_written    integer     NOT NULL DEFAULT 0,
    attributions_skipped    integer     NOT NULL DEFAULT 0,
    interpretations_written integer     NOT NULL DEFAULT 0,
    interpretations_skipped integer     NOT NULL DEFAULT 0,
    interpretations_failed  integer     NOT NULL DEFAULT 0,
    llm_tokens_in           bigint      NOT NULL DEFAULT 0,
    llm_tokens_out          bigint      NOT NULL DEFAULT 0,
    error                   text        NULL,
    details                 jsonb       NOT NULL DEFAULT '{}'::jsonb,
    notes                   jsonb       NOT NULL DEFAULT '[]'::jsonb,
    host                    text        NULL,
    started_at              timestamptz NOT NULL DEFAULT now(),
    finished_at             timestamptz NULL,
    duration_ms             bigint      NULL,
    CONSTRAINT weekly_runs_pkey PRIMARY KEY (run_id),
    CONSTRAINT weekly_runs_trigger_check CHECK (trigger IN ('timer', 'http', 'cli')),
    CONSTRAINT weekly_runs_mode_check CHECK (mode IN ('FULL', 'PIPELINE_ONLY', 'INTERPRETATION_ONLY')),
    CONSTRAINT weekly_runs_status_check
        CHECK (status IN ('running', 'completed', 'partial', 'failed', 'locked', 'abandoned')),
    CONSTRAINT weekly_runs_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1),
    CONSTRAINT weekly_runs_week_label_check
        CHECK (week_label ~ '^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$'),
    -- team scope requires its org; scope text matches the id columns exactly.
    CONSTRAINT weekly_runs_scope_check CHECK (
        (team_id IS NULL OR org_id IS NOT NULL)
        AND scope = CASE
            WHEN team_id IS NOT NULL THEN 'team:' || team_id::text
            WHEN org_id IS NOT NULL THEN 'org:' || org_id::text
            ELSE 'all'
        END),
    CONSTRAINT weekly_runs_running_unfinished_check CHECK (status <> 'running' OR finished_at IS NULL),
    CONSTRAINT weekly_runs_details_object_check CHECK (jsonb_typeof(details) = 'object'),
    CONSTRAINT weekly_runs_notes_array_check CHECK (jsonb_typeof(notes) = 'array')
);

CREATE INDEX weekly_runs_week_started_idx ON weekly_runs (week_start, started_at DESC);
CREATE INDEX weekly_runs_started_idx ON weekly_runs (started_at DESC);
CREATE INDEX weekly_runs_status_started_idx ON weekly_runs (status, started_at DESC);

-- ---------------------------------------------------------------- fencing
-- Upserted when a run takes the org lock; every pipeline write transaction reads its row FOR SHARE and
-- aborts with LOCK_LOST when run_id is not its own.
CREATE TABLE weekly_lock_fences (
    week_start date        NOT NULL,
    org_id     uuid        NOT NULL,
    run_id     uuid        NOT NULL,
    fenced_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT weekly_lock_fences_pkey PRIMARY KEY (week_start, org_id),
    CONSTRAINT weekly_lock_fences_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1)
);
