-- InPsyq Weekly, SOURCE migration set, V1.0: the survey tables the pipeline reads.
--
-- These tables belong to the wider InPsyq product. This set is applied only when
-- MIGRATE_SOURCE_TABLES=true (local development, tests, the demo); in Azure the product migrates them
-- itself and this set is never run. It has its own Evolve changelog table, separate from the Pipeline set.
-- Shape follows docs/spec domain.md ("Data the pipeline reads") with the matching CHECKs it asks for.
--
-- Deliberately NOT enforced here (the pipeline must detect and report them itself, and Azure may hold them):
--   * a response value outside its item's scale, or NULL  -> run error INVALID_VALUE (value is nullable);
--   * self-edges / cross-org edges / edges to archived teams in team_dependencies -> INVALID_DEPENDENCY.
-- INVALID_ITEM cases (scale_max <= scale_min, unknown factor) ARE blocked locally by CHECKs; a test that
-- needs such a row can drop the named constraint (measurement_items_scale_check / measurement_items_factor_check).
-- Runs once inside one transaction (Evolve default); no CONCURRENTLY.

CREATE TABLE orgs (
    org_id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    name            text        NOT NULL,
    min_respondents integer     NOT NULL DEFAULT 5,
    CONSTRAINT orgs_pkey PRIMARY KEY (org_id)
);

CREATE TABLE teams (
    team_id     uuid        NOT NULL DEFAULT gen_random_uuid(),
    org_id      uuid        NOT NULL,
    name        text        NOT NULL,
    archived_at timestamptz NULL,       -- archived teams are not processed
    CONSTRAINT teams_pkey PRIMARY KEY (team_id),
    CONSTRAINT teams_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (org_id),
    -- Doubles as the index for "teams of an org, in team_id order" and as the target of the
    -- composite FK from measurement_responses (a response's org_id must be its team's org).
    CONSTRAINT teams_org_team_key UNIQUE (org_id, team_id)
);

CREATE TABLE measurement_items (
    item_id   text    NOT NULL,
    factor    text    NOT NULL,
    scale_min numeric NOT NULL,
    scale_max numeric NOT NULL,
    direction text    NOT NULL,
    CONSTRAINT measurement_items_pkey PRIMARY KEY (item_id),
    CONSTRAINT measurement_items_scale_check CHECK (scale_max > scale_min),
    CONSTRAINT measurement_items_factor_check CHECK (factor IN (
        'emotional_load', 'cognitive_dissonance', 'meaning', 'trust_leadership', 'trust_peers',
        'psych_safety', 'control', 'autonomy_friction', 'engagement', 'adaptive_capacity')),
    CONSTRAINT measurement_items_direction_check CHECK (direction IN ('HIGHER_IS_MORE', 'HIGHER_IS_LESS'))
);

-- Append-only answers. value is nullable on purpose (NULL -> INVALID_VALUE in the pipeline).
CREATE TABLE measurement_responses (
    response_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    org_id        uuid        NOT NULL,
    team_id       uuid        NOT NULL,
    respondent_id uuid        NOT NULL,
    week_start    date        NOT NULL,
    item_id       text        NOT NULL,
    value         numeric     NULL,
    answered_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT measurement_responses_pkey PRIMARY KEY (response_id),
    CONSTRAINT measurement_responses_team_fkey FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, team_id),
    CONSTRAINT measurement_responses_item_fkey FOREIGN KEY (item_id) REFERENCES measurement_items (item_id),
    CONSTRAINT measurement_responses_week_start_monday_check CHECK (extract(isodow FROM week_start) = 1),
    CONSTRAINT measurement_responses_respondent_week_item_key UNIQUE (respondent_id, week_start, item_id)
);

-- Required by the pipeline (stage 1 aggregates one team-week set-based in SQL): covering, so the
-- aggregation and the input hash (sorted respondent_id, item_id, value) are index-only scans.
CREATE INDEX measurement_responses_team_week_idx
    ON measurement_responses (team_id, week_start) INCLUDE (respondent_id, item_id, value);

-- "The downstream team depends on the upstream team". Self-edges and cross-org edges are allowed here
-- on purpose: the pipeline ignores them with the run warning INVALID_DEPENDENCY.
CREATE TABLE team_dependencies (
    org_id             uuid    NOT NULL,
    upstream_team_id   uuid    NOT NULL,
    downstream_team_id uuid    NOT NULL,
    kind               text    NOT NULL,
    weight             numeric NOT NULL,
    CONSTRAINT team_dependencies_pkey PRIMARY KEY (upstream_team_id, downstream_team_id),
    CONSTRAINT team_dependencies_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (org_id),
    CONSTRAINT team_dependencies_upstream_fkey FOREIGN KEY (upstream_team_id) REFERENCES teams (team_id),
    CONSTRAINT team_dependencies_downstream_fkey FOREIGN KEY (downstream_team_id) REFERENCES teams (team_id),
    CONSTRAINT team_dependencies_kind_check CHECK (kind IN ('organizational', 'process', 'temporal_deadline')),
    CONSTRAINT team_dependencies_weight_check CHECK (weight >= 0 AND weight <= 1)
);

-- Stage 2 loads an org's graph, and a team's upstreams (the pk serves upstream-first lookups).
CREATE INDEX team_dependencies_org_downstream_idx
    ON team_dependencies (org_id, downstream_team_id, upstream_team_id);
CREATE INDEX team_dependencies_downstream_idx
    ON team_dependencies (downstream_team_id);
