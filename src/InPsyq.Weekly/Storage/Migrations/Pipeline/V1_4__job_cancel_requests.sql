-- InPsyq Weekly, PIPELINE migration set, V1.4: manual cancel of a job running on any host (jobs.md).
--
-- POST /api/internal/jobs/{id}/cancel (or `inpsyq-weekly cancel-job {id}`) stamps cancel_requested_at on the latest
-- attempt row of the job while its advisory lock is held, i.e. while an execution runs somewhere. The host running
-- that execution polls it every JOBS_CANCEL_POLL_SECONDS and cancels: the attempt is recorded cancelled (never
-- timed_out) and not retried. The stamp stays on the row as the record of who-asked-when (the when).

ALTER TABLE scheduled_job_executions ADD COLUMN cancel_requested_at timestamptz;
