-- InPsyq Weekly, PIPELINE migration set, V1.7: the LLM quota governor shared by every instance (docs/performance.md).
--
-- llm_quota holds one row per Azure OpenAI deployment (endpoint host and deployment name): the level of the
-- requests and tokens buckets when they were last refilled, the admission rate (AIMD: a fraction of the quota that a
-- 429 halves and that grows back after the pause) and the pause a 429 asked for. Every time in it is Postgres now().
-- Hosts lease small chunks of quota (at most 2 s of it) in a transaction on this row; a 429 pauses every host.
--
-- llm_quota_events records each lease and each 429 per host for ten minutes: the hosts that leased in the last
-- minute are the live hosts (a host that cannot reach Postgres admits at quota / live hosts), and the health check
-- reads the admitted rate and the recent 429s from it. Only LlmQuota/LlmQuotaStore.cs has SQL on both tables.
--
-- weekly_work_results.llm_calls: the LLM calls behind a team's stage-3 result, so the status page can show a running
-- run's requests (and tokens) per minute.

CREATE TABLE llm_quota (
    deployment     text PRIMARY KEY,
    request_level  double precision NOT NULL,
    token_level    double precision NOT NULL,
    refilled_at    timestamptz NOT NULL,
    rate_factor    double precision NOT NULL DEFAULT 1 CHECK (rate_factor > 0 AND rate_factor <= 1),
    paused_until   timestamptz,
    throttled_at   timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE llm_quota_events (
    deployment  text NOT NULL,
    host_id     text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL CHECK (kind IN ('lease', 'throttle')),
    requests    double precision NOT NULL DEFAULT 0,
    tokens      double precision NOT NULL DEFAULT 0
);

CREATE INDEX llm_quota_events_recent ON llm_quota_events (deployment, at);

ALTER TABLE weekly_work_results ADD COLUMN llm_calls integer NOT NULL DEFAULT 0 CHECK (llm_calls >= 0);
