-- name: lock_audit_chain
-- Entries that belong to no request share one chain; serialize its writers.
SELECT pg_advisory_xact_lock(hashtextextended('godkend.audit:' || coalesce(:request_id::bigint, 0)::text, 0));

-- name: last_audit_hash
SELECT hash FROM audit_log WHERE request_id IS NOT DISTINCT FROM :request_id::bigint
ORDER BY id DESC LIMIT 1;

-- name: insert_audit
INSERT INTO audit_log (request_id, actor_id, action, data, at, prev_hash, hash)
VALUES (:request_id, :actor_id, :action, :data, :at, :prev_hash, :hash);

-- name: audit_of_request
SELECT a.id, a.request_id, a.actor_id, u.name AS actor_name, a.action, a.data, a.at,
       a.prev_hash, a.hash
FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
WHERE a.request_id = :request_id ORDER BY a.id;

-- name: insert_event
INSERT INTO events (type, request_id, audience_users, audience_roles, payload)
VALUES (:type, :request_id, :audience_users, :audience_roles, :payload);
