-- InPsyq Weekly, PIPELINE migration set, V1.10: the trace context of each run's root span.
--
-- Every work item message carries the W3C trace context of its run, so the items' spans on every instance join the
-- run's trace. A message sent again from the outbox (its first send was never confirmed) is sent by a worker that
-- knows nothing of the run's trace: it reads it here. Null for a run admitted without a sampled trace.

-- Re-runnable (IF NOT EXISTS), like V1.9: the schema-version test re-applies the latest migration.

ALTER TABLE weekly_runs
    ADD COLUMN IF NOT EXISTS traceparent text NULL,
    ADD COLUMN IF NOT EXISTS tracestate  text NULL;
