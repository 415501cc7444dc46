-- InPsyq Weekly, PIPELINE migration set, V1.3: the fence check of a pipeline write as one SQL call.
--
-- assert_lock_fence(week_start, org_id, run_id) takes a share lock on the fence row of (week, org) and raises
-- SQLSTATE IQ409 unless that row names run_id. LockFences sends each unit of output as one batch, this call
-- first and the unit's statements after it; a batch is one implicit transaction (one Sync), so a run that lost its
-- lock, or any failing statement, writes nothing, and the whole unit costs one round trip. The share lock is held
-- until the batch commits, so a new holder's fence update waits for writes that already passed the check.
-- SECURITY INVOKER with a pinned search_path, like the job helpers of V1.2.

CREATE FUNCTION assert_lock_fence(week_start date, org_id uuid, run_id uuid)
    RETURNS void
    LANGUAGE plpgsql
    VOLATILE
    SECURITY INVOKER
    SET search_path FROM CURRENT
AS $fn$
BEGIN
    PERFORM 1
       FROM weekly_lock_fences AS f
      WHERE f.week_start = assert_lock_fence.week_start
        AND f.org_id = assert_lock_fence.org_id
        AND f.run_id = assert_lock_fence.run_id
        FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Run % no longer holds the lock of org % for week %.',
                        assert_lock_fence.run_id, assert_lock_fence.org_id, assert_lock_fence.week_start
            USING ERRCODE = 'IQ409';
    END IF;
END
$fn$;

REVOKE EXECUTE ON FUNCTION assert_lock_fence(date, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION assert_lock_fence(date, uuid, uuid) TO inpsyq_service;
