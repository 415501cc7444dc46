-- InPsyq Weekly, PIPELINE migration set, V1.9: who called, when a run was requested with a Microsoft Entra ID token.
--
-- POST /api/internal/run-weekly accepts an Entra access token (app role Weekly.Run) besides the shared secret. Its
-- run's row records the token's object id (oid) and client application id (azp in v2 tokens, appid in v1); both
-- stay null for a run requested with the shared secret, the schedule, a job or the CLI.

-- Re-runnable (IF NOT EXISTS), like V1.8: the schema-version test re-applies the latest migration.

ALTER TABLE weekly_runs
    ADD COLUMN IF NOT EXISTS caller_oid    text NULL,
    ADD COLUMN IF NOT EXISTS caller_app_id text NULL;
