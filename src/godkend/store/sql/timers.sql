-- Step timers (reminders and deadlines) and the scheduler's claims on them.

-- name: insert_timer
INSERT INTO timers (request_id, step, round, kind, seq, due_at, created_at)
VALUES (:request_id, :step, :round, :kind, :seq, :due_at, :now)
ON CONFLICT (request_id, round, step, kind, seq) DO NOTHING;

-- name: cancel_open_timers
UPDATE timers SET cancelled_at = :now
WHERE request_id = :request_id AND fired_at IS NULL AND cancelled_at IS NULL;

-- name: claim_due_timers
-- Due timers no other instance holds; a request's timers go in due order (its reminder before
-- its deadline), so a timer waits while an earlier one of the same request is still open.
SELECT t.id, t.request_id, t.step, t.round, t.kind, t.seq, t.due_at, t.attempts
FROM timers t
WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL AND t.due_at <= :now
  AND NOT EXISTS (
      SELECT 1 FROM timers e
      WHERE e.request_id = t.request_id AND e.fired_at IS NULL AND e.cancelled_at IS NULL
        AND (e.due_at, e.id) < (t.due_at, t.id))
ORDER BY t.due_at, t.id
LIMIT :limit
FOR UPDATE OF t SKIP LOCKED;

-- name: lock_request_if_free
-- The scheduler holds timer locks: it never waits for a request a user is changing (it comes
-- back to it on the next pass), so it cannot deadlock with an action cancelling timers.
SELECT id, reference_number, workflow_version_id, title, fields, status, requester_id, org_unit_id,
       state, version
FROM requests WHERE id = :request_id FOR UPDATE SKIP LOCKED;

-- name: mark_timer_fired
UPDATE timers SET fired_at = :now, fired_by = :fired_by WHERE id = :timer_id;

-- name: mark_timer_cancelled
UPDATE timers SET cancelled_at = :now WHERE id = :timer_id;

-- name: note_timer_failure
-- A timer whose firing failed is retried later, and given up (cancelled, the error kept) after
-- :max_attempts tries so that one bad timer cannot busy every scheduler.
UPDATE timers
   SET attempts = attempts + 1, last_error = left(:error, 2000), due_at = :retry_at,
       cancelled_at = CASE WHEN attempts + 1 >= :max_attempts THEN :now::timestamptz END
 WHERE id = :timer_id AND fired_at IS NULL;

-- name: timers_of_request
SELECT id, step, round, kind, seq, due_at, fired_at, fired_by, cancelled_at, attempts
FROM timers WHERE request_id = :request_id ORDER BY id;

-- name: next_timer_due
SELECT min(due_at) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL;
