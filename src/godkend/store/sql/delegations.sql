-- Delegations: a substitute decides in an absent user's place for a period.

-- name: insert_delegation
INSERT INTO delegations (user_id, substitute_id, starts_at, ends_at, workflows, created_at,
                         created_by, start_applied_at)
VALUES (:user_id, :substitute_id, :starts_at, :ends_at, :workflows::text[], :now, :created_by,
        CASE WHEN :starts_at::timestamptz <= :now::timestamptz THEN :now::timestamptz END)
RETURNING id;

-- name: get_delegation
SELECT d.id, d.user_id, a.username AS user_username, a.name AS user_name,
       d.substitute_id, s.username AS substitute_username, s.name AS substitute_name,
       d.starts_at, d.ends_at, d.workflows, d.created_at, d.revoked_at
FROM delegations d
JOIN users a ON a.id = d.user_id
JOIN users s ON s.id = d.substitute_id
WHERE d.id = :delegation_id;

-- name: delegations_of_user
-- The caller's delegations, as the absent user or as the substitute, newest first.
SELECT d.id, d.user_id, a.username AS user_username, a.name AS user_name,
       d.substitute_id, s.username AS substitute_username, s.name AS substitute_name,
       d.starts_at, d.ends_at, d.workflows, d.created_at, d.revoked_at
FROM delegations d
JOIN users a ON a.id = d.user_id
JOIN users s ON s.id = d.substitute_id
WHERE d.user_id = :user_id OR d.substitute_id = :user_id
ORDER BY d.id DESC
LIMIT :limit;

-- name: count_current_delegations
-- Delegations of the user not revoked and not yet over: bounded per user.
SELECT count(*) FROM delegations
WHERE user_id = :user_id AND revoked_at IS NULL AND ends_at > :now;

-- name: lock_delegation
SELECT id, user_id, substitute_id, starts_at, ends_at, revoked_at
FROM delegations WHERE id = :delegation_id FOR UPDATE;

-- name: revoke_delegation
UPDATE delegations SET revoked_at = :now, end_applied_at = coalesce(end_applied_at, :now)
WHERE id = :delegation_id;

-- name: active_substitutes
-- Who decides in each of the given users' place now, for this workflow (the newest delegation
-- wins where several overlap). Substitutes who are no longer active users do not count.
SELECT DISTINCT ON (d.user_id) d.user_id, d.substitute_id
FROM delegations d JOIN users s ON s.id = d.substitute_id AND s.is_active
WHERE d.user_id = ANY(:user_ids::bigint[])
  AND d.revoked_at IS NULL
  AND d.starts_at <= :at AND :at < d.ends_at
  AND (d.workflows IS NULL OR :workflow::text = ANY(d.workflows))
ORDER BY d.user_id, d.created_at DESC, d.id DESC;

-- name: claim_delegation_changes
-- Delegations that started or ended since the last pass; each instance takes different ones.
SELECT id, user_id
FROM delegations
WHERE (start_applied_at IS NULL AND revoked_at IS NULL AND starts_at <= :now)
   OR (end_applied_at IS NULL AND ends_at <= :now)
ORDER BY id
LIMIT :limit
FOR UPDATE SKIP LOCKED;

-- name: mark_delegation_applied
UPDATE delegations
   SET start_applied_at = CASE WHEN starts_at <= :now THEN coalesce(start_applied_at, :now) END,
       end_applied_at = CASE WHEN ends_at <= :now THEN coalesce(end_applied_at, :now) END
 WHERE id = :delegation_id;

-- name: requests_awaiting_user
-- Open requests whose current step awaits the user, directly or through a substitute.
SELECT DISTINCT a.request_id FROM assignments a JOIN requests r ON r.id = a.request_id
WHERE a.active AND r.status = 'pending' AND a.request_id > :after
  AND (a.user_id = :user_id OR a.on_behalf_of = :user_id)
ORDER BY a.request_id
LIMIT :limit;

-- name: published_workflow_keys
SELECT DISTINCT key FROM workflow_versions WHERE key = ANY(:keys::text[]);
