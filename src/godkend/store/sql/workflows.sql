-- name: latest_workflow
SELECT id, key, version, definition, digest, published_at FROM workflow_versions
WHERE key = :key ORDER BY version DESC LIMIT 1;

-- name: workflow_version_by_id
SELECT id, key, version, definition, digest, published_at FROM workflow_versions WHERE id = :id;

-- name: workflow_versions_of
SELECT version, digest, published_at FROM workflow_versions WHERE key = :key ORDER BY version;

-- name: latest_workflows
SELECT DISTINCT ON (key) id, key, version, definition, digest, published_at
FROM workflow_versions ORDER BY key, version DESC;

-- name: lock_workflow_key
SELECT pg_advisory_xact_lock(hashtextextended('godkend.workflow:' || :key, 0));

-- name: insert_workflow_version
INSERT INTO workflow_versions (key, version, definition, source, digest, published_by)
VALUES (:key, :version, :definition, :source, :digest, :published_by)
RETURNING id;
