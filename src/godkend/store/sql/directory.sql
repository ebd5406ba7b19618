-- name: get_org_unit_by_key
SELECT id, key, name, parent_id FROM org_units WHERE key = :key;

-- name: upsert_org_unit
INSERT INTO org_units (key, name, parent_id) VALUES (:key, :name, :parent_id)
ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id
RETURNING id;

-- name: list_roles
SELECT key, name_da, name_en FROM roles ORDER BY key;

-- name: get_user_by_username
SELECT u.id, u.username, u.name, u.email, u.org_unit_id, o.key AS org_unit, u.password_hash,
       u.is_active,
       coalesce((SELECT array_agg(DISTINCT r.role ORDER BY r.role) FROM user_roles r
                 WHERE r.user_id = u.id), '{}') AS roles
FROM users u JOIN org_units o ON o.id = u.org_unit_id
WHERE u.username = :username;

-- name: get_user
SELECT u.id, u.username, u.name, u.email, u.org_unit_id, o.key AS org_unit, u.is_active,
       coalesce((SELECT array_agg(DISTINCT r.role ORDER BY r.role) FROM user_roles r
                 WHERE r.user_id = u.id), '{}') AS roles
FROM users u JOIN org_units o ON o.id = u.org_unit_id
WHERE u.id = :user_id;

-- name: insert_user
INSERT INTO users (username, name, email, org_unit_id, password_hash)
VALUES (:username, :name, :email, :org_unit_id, :password_hash)
RETURNING id;

-- name: grant_role
INSERT INTO user_roles (user_id, role, org_unit_id) VALUES (:user_id, :role, :org_unit_id)
ON CONFLICT DO NOTHING;

-- name: role_holders_in_unit
SELECT user_id FROM user_roles r JOIN users u ON u.id = r.user_id
WHERE r.role = :role AND r.org_unit_id = :org_unit_id AND u.is_active
ORDER BY r.user_id;

-- name: role_holders_nearest
-- Holders of a role in the unit or, failing that, in its nearest ancestor that has any.
WITH RECURSIVE chain (id, parent_id, depth) AS (
    SELECT id, parent_id, 0 FROM org_units WHERE id = :org_unit_id
    UNION ALL
    SELECT o.id, o.parent_id, c.depth + 1 FROM org_units o JOIN chain c ON o.id = c.parent_id
    WHERE c.depth < 50
), holders AS (
    SELECT r.user_id, c.depth FROM chain c
    JOIN user_roles r ON r.org_unit_id = c.id AND r.role = :role
    JOIN users u ON u.id = r.user_id AND u.is_active
)
SELECT user_id FROM holders WHERE depth = (SELECT min(depth) FROM holders) ORDER BY user_id;

-- name: manager_of
-- The head ('manager' role) of the user's unit, or of the nearest ancestor unit whose head
-- is somebody else: so a head's manager is the head above them.
WITH RECURSIVE chain (id, parent_id, depth) AS (
    SELECT o.id, o.parent_id, 0 FROM org_units o JOIN users u ON u.org_unit_id = o.id
    WHERE u.id = :user_id
    UNION ALL
    SELECT o.id, o.parent_id, c.depth + 1 FROM org_units o JOIN chain c ON o.id = c.parent_id
    WHERE c.depth < 50
), heads AS (
    SELECT r.user_id, c.depth FROM chain c
    JOIN user_roles r ON r.org_unit_id = c.id AND r.role = 'manager' AND r.user_id <> :user_id
    JOIN users u ON u.id = r.user_id AND u.is_active
)
SELECT user_id FROM heads WHERE depth = (SELECT min(depth) FROM heads) ORDER BY user_id LIMIT 1;

-- name: users_by_ids
SELECT id, username, name FROM users WHERE id = ANY(:ids::bigint[]);

-- name: list_users
SELECT u.id, u.username, u.name, u.email, o.key AS org_unit,
       coalesce((SELECT array_agg(DISTINCT r.role ORDER BY r.role) FROM user_roles r
                 WHERE r.user_id = u.id), '{}') AS roles
FROM users u JOIN org_units o ON o.id = u.org_unit_id
ORDER BY u.username;

-- name: list_org_unit_keys
SELECT key FROM org_units ORDER BY key;
