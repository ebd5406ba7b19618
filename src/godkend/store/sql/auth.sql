-- name: insert_session
INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
VALUES (:token_hash, :user_id, :now, :expires_at);

-- name: session_user
SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = :token_hash AND s.revoked_at IS NULL AND s.expires_at > :now AND u.is_active;

-- name: session_users
-- Of these sessions (by hash), the ones still valid, with their users (open streams' re-check).
SELECT s.token_hash, s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = ANY(:token_hashes::bytea[]) AND s.revoked_at IS NULL
  AND s.expires_at > :now AND u.is_active;

-- name: revoke_session
UPDATE sessions SET revoked_at = :now WHERE token_hash = :token_hash AND revoked_at IS NULL
RETURNING user_id;

-- name: insert_api_token
INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at)
VALUES (:token_hash, :user_id, :name, :now, :expires_at) RETURNING id;

-- name: token_user
-- The token's user while it is valid. last_used_at is written at most once a minute, so that
-- authenticating a script's calls (or a stream's re-checks) is a read, not a commit, each time.
WITH valid AS (
  SELECT t.id, t.user_id, t.last_used_at
  FROM api_tokens t JOIN users u ON u.id = t.user_id
  WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL
    AND (t.expires_at IS NULL OR t.expires_at > :now) AND u.is_active
), touched AS (
  UPDATE api_tokens t SET last_used_at = :now
  FROM valid v
  WHERE t.id = v.id
    AND (v.last_used_at IS NULL OR v.last_used_at < :now::timestamptz - interval '1 minute')
)
SELECT user_id FROM valid;

-- name: token_users
-- Of these API tokens (by hash), the ones still valid, with their users.
SELECT t.token_hash, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = ANY(:token_hashes::bytea[]) AND t.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > :now) AND u.is_active;

-- name: prune_sessions
DELETE FROM sessions WHERE expires_at < :now::timestamptz - interval '7 days';
