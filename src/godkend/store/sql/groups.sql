-- Named approver groups (`approvers: {group: key}`) and their members.

-- name: upsert_group
INSERT INTO groups (key, name_da, name_en) VALUES (:key, :name_da, :name_en)
ON CONFLICT (key) DO UPDATE SET name_da = EXCLUDED.name_da, name_en = EXCLUDED.name_en;

-- name: clear_group_members
DELETE FROM group_members WHERE group_key = :group_key;

-- name: add_group_member
INSERT INTO group_members (group_key, user_id) VALUES (:group_key, :user_id)
ON CONFLICT DO NOTHING;

-- name: group_member_ids
-- The active members: they decide a step whose approvers are the group.
SELECT m.user_id FROM group_members m JOIN users u ON u.id = m.user_id AND u.is_active
WHERE m.group_key = :group_key
ORDER BY m.user_id;

-- name: list_group_keys
SELECT key FROM groups ORDER BY key;

-- name: list_groups
SELECT g.key, g.name_da, g.name_en,
       coalesce((SELECT array_agg(u.username ORDER BY u.username)
                 FROM group_members m JOIN users u ON u.id = m.user_id
                 WHERE m.group_key = g.key), '{}') AS members
FROM groups g ORDER BY g.key;
