-- name: insert_request
WITH n AS (SELECT nextval(pg_get_serial_sequence('requests', 'id')) AS id)
INSERT INTO requests (id, reference_number, workflow_version_id, title, fields, status,
                      current_step, requester_id, org_unit_id, state, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT n.id, 'GK-' || to_char(:now::timestamptz AT TIME ZONE 'Europe/Copenhagen', 'YYYY') || '-'
             || lpad(n.id::text, 6, '0'),
       :workflow_version_id, :title, :fields, :status, :current_step, :requester_id,
       :org_unit_id, :state, :now, :now
FROM n
RETURNING id;

-- name: lock_request
SELECT id, reference_number, workflow_version_id, title, fields, status, requester_id, org_unit_id,
       state, version
FROM requests WHERE id = :request_id FOR UPDATE;

-- name: update_request
UPDATE requests
   SET status = :status, current_step = :current_step, state = :state, fields = :fields,
       title = :title, version = version + 1, updated_at = :now
 WHERE id = :request_id;

-- name: close_assignments
UPDATE assignments SET active = false WHERE request_id = :request_id AND active;

-- name: open_assignment
INSERT INTO assignments (request_id, step, user_id, on_behalf_of, active, assigned_at)
VALUES (:request_id, :step, :user_id, :on_behalf_of, true, :now)
ON CONFLICT (request_id, step, user_id) DO UPDATE
   SET active = true, assigned_at = EXCLUDED.assigned_at, on_behalf_of = EXCLUDED.on_behalf_of;

-- name: note_assignment
-- An approver who is away: the step is theirs, but awaits their substitute (on_behalf_of them).
-- The row keeps the request visible to them and in their history of approvals.
INSERT INTO assignments (request_id, step, user_id, on_behalf_of, active, assigned_at)
VALUES (:request_id, :step, :user_id, NULL, false, :now)
ON CONFLICT (request_id, step, user_id) DO NOTHING;

-- name: insert_decision
INSERT INTO decisions (request_id, step, round, decided_by, on_behalf_of, decision, comment, decided_at)
VALUES (:request_id, :step, :round, :decided_by, :on_behalf_of, :decision, :comment, :now)
RETURNING id;

-- name: insert_comment
INSERT INTO comments (request_id, author_id, body, created_at)
VALUES (:request_id, :author_id, :body, :now) RETURNING id;

-- name: request_audience_users
SELECT array_agg(DISTINCT u) AS users FROM (
    SELECT requester_id AS u FROM requests WHERE id = :request_id
    UNION SELECT user_id FROM assignments WHERE request_id = :request_id
    UNION SELECT on_behalf_of FROM assignments WHERE request_id = :request_id AND on_behalf_of IS NOT NULL
) s;

-- name: can_see_request
SELECT godkend_can_see(:request_id, :user_id, :roles::text[]);

-- name: get_request
SELECT r.id, r.reference_number, w.key AS workflow_key, w.version AS workflow_version,
       r.title, r.fields, r.status, r.state, r.requester_id, u.name AS requester_name,
       r.version, r.created_at, r.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                            'id', p.id, 'name', p.name,
                            'on_behalf_of', CASE WHEN b.id IS NOT NULL
                                THEN jsonb_build_object('id', b.id, 'name', b.name) END)
                        ORDER BY p.id)
                 FROM assignments a JOIN users p ON p.id = a.user_id
                 LEFT JOIN users b ON b.id = a.on_behalf_of
                 WHERE a.request_id = r.id AND a.active), '[]') AS pending_approvers
FROM requests r
JOIN workflow_versions w ON w.id = r.workflow_version_id
JOIN users u ON u.id = r.requester_id
WHERE r.id = :request_id;

-- name: list_visible_requests
-- Keyset pagination on id, newest first; :mine limits to the caller's own requests.
SELECT r.id FROM requests r
WHERE r.id < :before
  AND (:status::text IS NULL OR r.status = :status)
  AND (CASE WHEN :mine THEN r.requester_id = :user_id
            ELSE godkend_can_see(r.id, :user_id, :roles::text[]) END)
ORDER BY r.id DESC
LIMIT :limit;

-- name: inbox
SELECT DISTINCT a.request_id AS id FROM assignments a
JOIN requests r ON r.id = a.request_id
WHERE a.user_id = :user_id AND a.active AND r.status = 'pending' AND a.request_id < :before
ORDER BY a.request_id DESC
LIMIT :limit;

-- name: get_requests
SELECT r.id, r.reference_number, w.key AS workflow_key, w.version AS workflow_version,
       r.title, r.fields, r.status, r.state, r.requester_id, u.name AS requester_name,
       r.version, r.created_at, r.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                            'id', p.id, 'name', p.name,
                            'on_behalf_of', CASE WHEN b.id IS NOT NULL
                                THEN jsonb_build_object('id', b.id, 'name', b.name) END)
                        ORDER BY p.id)
                 FROM assignments a JOIN users p ON p.id = a.user_id
                 LEFT JOIN users b ON b.id = a.on_behalf_of
                 WHERE a.request_id = r.id AND a.active), '[]') AS pending_approvers
FROM requests r
JOIN workflow_versions w ON w.id = r.workflow_version_id
JOIN users u ON u.id = r.requester_id
WHERE r.id = ANY(:ids::bigint[])
ORDER BY r.id DESC;

-- name: decisions_of
SELECT d.id, d.step, d.round, d.decision, d.comment, d.decided_at, d.decided_by,
       u.name AS decided_by_name, d.on_behalf_of
FROM decisions d JOIN users u ON u.id = d.decided_by
WHERE d.request_id = :request_id ORDER BY d.id;
