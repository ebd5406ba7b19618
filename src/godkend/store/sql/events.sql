-- The events outbox, read in (tx, id) order below the horizon (docs/realtime.md).
-- Each read is ONE statement, so the horizon, the pruning mark and the rows share one snapshot.

-- name: outbox_scan
-- held_back: committed events wait beyond the horizon, behind a transaction still running
-- (one that wrote no events sends no wake-up when it ends, so the listener looks again soon).
WITH h AS MATERIALIZED (
    SELECT s.*, EXISTS (SELECT 1 FROM events x WHERE x.tx >= s.horizon) AS held_back
    FROM (
        SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon,
               p.tx AS pruned_tx, p.id AS pruned_id
        FROM events_pruned p
    ) s
)
SELECT h.horizon, h.pruned_tx, h.pruned_id, h.held_back,
       e.tx, e.id, e.type, e.payload, e.audience_users, e.audience_roles, e.created_at,
       true AS allowed
FROM h LEFT JOIN LATERAL (
    SELECT * FROM events e
    WHERE (e.tx, e.id) > (:tx::xid8, :id::bigint) AND e.tx < h.horizon
    ORDER BY e.tx, e.id
    LIMIT :limit
) e ON true
ORDER BY e.tx, e.id;

-- name: outbox_scan_for
-- Authorization is re-checked here with the reader's current roles; rows the reader may not
-- see come back without payload so the scan still advances past them.
WITH h AS MATERIALIZED (
    SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon,
           p.tx AS pruned_tx, p.id AS pruned_id
    FROM events_pruned p
)
SELECT h.horizon, h.pruned_tx, h.pruned_id,
       e.tx, e.id, e.type, e.created_at, e.allowed,
       CASE WHEN e.allowed THEN e.payload END AS payload,
       CASE WHEN e.allowed THEN e.audience_users END AS audience_users,
       CASE WHEN e.allowed THEN e.audience_roles END AS audience_roles
FROM h LEFT JOIN LATERAL (
    SELECT e.*,
           (e.audience_users @> ARRAY[:user_id::bigint] OR e.audience_roles && :roles::text[])
               AS allowed
    FROM events e
    WHERE (e.tx, e.id) > (:tx::xid8, :id::bigint) AND e.tx < h.horizon
    ORDER BY e.tx, e.id
    LIMIT :limit
) e ON true
ORDER BY e.tx, e.id;

-- name: outbox_head
SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon;

-- name: outbox_held_back
-- Committed events the reader may not deliver yet because an older transaction still runs.
SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(e.created_at)), 0)::float8 AS age
FROM events e
WHERE e.tx >= pg_snapshot_xmin(pg_current_snapshot());

-- name: outbox_horizon_holder
-- Needs pg_read_all_stats (or the same role) to see other sessions' transaction ids.
SELECT a.pid, EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start)::float8 AS transaction_age,
       COALESCE(a.state, '') AS state, COALESCE(a.application_name, '') AS application_name,
       COALESCE(a.datname, '') AS database
FROM pg_stat_activity a
WHERE a.backend_xid = pg_snapshot_xmin(pg_current_snapshot())::xid
UNION ALL
SELECT NULL, EXTRACT(EPOCH FROM clock_timestamp() - p.prepared)::float8,
       'prepared transaction ' || p.gid, '', p.database
FROM pg_prepared_xacts p
WHERE p.transaction = pg_snapshot_xmin(pg_current_snapshot())::xid
LIMIT 1;

-- name: outbox_wakeup
SELECT pg_notify('godkend_events_v1', '');

-- name: outbox_listen
LISTEN godkend_events_v1;

-- name: outbox_session_setup
-- The listener and the notifier never open transactions; the timeout is a guard all the same.
SELECT set_config('application_name', :application_name, false),
       set_config('idle_in_transaction_session_timeout', '30s', false);

-- name: outbox_prune_lock
-- One pruner at a time across instances; released at the end of the transaction.
SELECT pg_try_advisory_xact_lock(1735091307, 1) AS locked;

-- name: outbox_prune_cut
-- The newest event older than retention; everything at or before it in (tx, id) order goes.
SELECT e.tx, e.id
FROM events e
WHERE e.created_at < clock_timestamp() - make_interval(days => :days::int)
  AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY e.created_at DESC
LIMIT 1;

-- name: outbox_prune_batch
-- A short transaction per batch: a pruning transaction holds the horizon back while it runs.
WITH doomed AS (
    SELECT e.tx, e.id FROM events e
    WHERE (e.tx, e.id) <= (:tx::xid8, :id::bigint)
    ORDER BY e.tx, e.id
    LIMIT :limit
), gone AS (
    DELETE FROM events e USING doomed d
    WHERE e.tx = d.tx AND e.id = d.id
    RETURNING e.tx, e.id
), last AS (
    SELECT g.tx, g.id FROM gone g ORDER BY g.tx DESC, g.id DESC LIMIT 1
), marked AS (
    UPDATE events_pruned p SET tx = last.tx, id = last.id, pruned_at = clock_timestamp()
    FROM last
    WHERE (last.tx, last.id) > (p.tx, p.id)
    RETURNING 1
)
SELECT count(*)::int AS deleted FROM gone;
