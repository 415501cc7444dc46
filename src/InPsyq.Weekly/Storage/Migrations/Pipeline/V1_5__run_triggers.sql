-- InPsyq Weekly, PIPELINE migration set, V1.5: one trigger vocabulary for runs and jobs.
--
-- A run of the weekly-run job says what its job execution says: 'schedule' (was 'timer': the Functions timer, also
-- when fired through the Functions admin API, or the standalone scheduler) or 'manual' (new: the admin job endpoint
-- POST /api/internal/jobs/weekly-run/run or `inpsyq-weekly run-job weekly-run`, recorded 'timer' before). 'http'
-- (POST /api/internal/run-weekly) and 'cli' (run-weekly, backfill) are unchanged. Past 'timer' rows become
-- 'schedule'; a manual run recorded before this version cannot be told apart and stays 'schedule'.

ALTER TABLE weekly_runs DROP CONSTRAINT weekly_runs_trigger_check;

UPDATE weekly_runs SET trigger = 'schedule' WHERE trigger = 'timer';

ALTER TABLE weekly_runs
    ADD CONSTRAINT weekly_runs_trigger_check CHECK (trigger IN ('schedule', 'manual', 'http', 'cli'));
