-- godkend schema, revision 0001: organisation, workflows, requests, audit and the events outbox.

CREATE TABLE roles (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    name_da     text NOT NULL,
    name_en     text NOT NULL
);

CREATE TABLE org_units (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9_-]*$'),
    name        text NOT NULL,
    parent_id   bigint REFERENCES org_units (id)
);
CREATE INDEX org_units_parent ON org_units (parent_id);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]*$'),
    name          text NOT NULL,
    email         text NOT NULL,
    org_unit_id   bigint NOT NULL REFERENCES org_units (id),
    password_hash text,
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_org_unit ON users (org_unit_id);

-- A role is held within an org unit; the holder of 'manager' in a unit is its head.
CREATE TABLE user_roles (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text   NOT NULL REFERENCES roles (key),
    org_unit_id bigint NOT NULL REFERENCES org_units (id),
    PRIMARY KEY (user_id, role, org_unit_id)
);
CREATE INDEX user_roles_role_unit ON user_roles (role, org_unit_id);

CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    last_used_at timestamptz
);

-- Every published version of a workflow is kept: running requests keep theirs.
CREATE TABLE workflow_versions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key           text NOT NULL,
    version       integer NOT NULL CHECK (version > 0),
    definition    jsonb NOT NULL,
    source        text NOT NULL,
    digest        text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    published_by  bigint REFERENCES users (id),
    UNIQUE (key, version)
);

CREATE TABLE requests (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference_number text UNIQUE,
    workflow_version_id bigint NOT NULL REFERENCES workflow_versions (id),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    fields           jsonb NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'returned', 'withdrawn')),
    current_step     integer,
    requester_id     bigint NOT NULL REFERENCES users (id),
    org_unit_id      bigint NOT NULL REFERENCES org_units (id),
    state            jsonb NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_requester ON requests (requester_id, id DESC);
CREATE INDEX requests_status ON requests (status, id DESC);

-- Who a request awaits or awaited, per step: the source of "approver (current or past)".
CREATE TABLE assignments (
    request_id   bigint  NOT NULL REFERENCES requests (id),
    step         integer NOT NULL,
    user_id      bigint  NOT NULL REFERENCES users (id),
    on_behalf_of bigint  REFERENCES users (id),
    active       boolean NOT NULL DEFAULT true,
    assigned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, step, user_id)
);
CREATE INDEX assignments_open ON assignments (user_id, request_id) WHERE active;
CREATE INDEX assignments_user ON assignments (user_id, request_id);

CREATE TABLE decisions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id   bigint  NOT NULL REFERENCES requests (id),
    step         integer NOT NULL,
    round        integer NOT NULL,
    decided_by   bigint  NOT NULL REFERENCES users (id),
    on_behalf_of bigint  REFERENCES users (id),
    decision     text    NOT NULL CHECK (decision IN ('approve', 'reject', 'return')),
    comment      text    NOT NULL DEFAULT '',
    decided_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (request_id, round, step, decided_by)
);

CREATE TABLE comments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  bigint NOT NULL REFERENCES requests (id),
    author_id   bigint NOT NULL REFERENCES users (id),
    body        text   NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_request ON comments (request_id, id);

-- Tamper-evident: each entry's hash covers its content and the previous entry of the same
-- request, so editing or deleting a row breaks the chain (verified by services.audit).
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  bigint REFERENCES requests (id),
    actor_id    bigint REFERENCES users (id),
    action      text   NOT NULL,
    data        jsonb  NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL,
    prev_hash   text   NOT NULL,
    hash        text   NOT NULL UNIQUE
);
CREATE INDEX audit_log_request ON audit_log (request_id, id);

-- The outbox: the truth of the event stream. NOTIFY is only a wake-up; readers order by
-- (tx, id) and stop at the oldest running transaction (docs/realtime.md).
CREATE TABLE events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx             xid8   NOT NULL DEFAULT pg_current_xact_id(),
    type           text   NOT NULL,
    request_id     bigint REFERENCES requests (id),
    audience_users bigint[] NOT NULL DEFAULT '{}',
    audience_roles text[]   NOT NULL DEFAULT '{}',
    payload        jsonb  NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX events_tx_id ON events (tx, id);
CREATE INDEX events_created_at ON events (created_at);

INSERT INTO roles (key, name_da, name_en) VALUES
    ('employee', 'Medarbejder', 'Employee'),
    ('manager', 'Leder', 'Manager'),
    ('auditor', 'Revisor', 'Auditor'),
    ('admin', 'Administrator', 'Administrator'),
    ('finance', 'Økonomi', 'Finance'),
    ('hr', 'HR', 'HR'),
    ('it_security', 'IT-sikkerhed', 'IT security'),
    ('system_owner', 'Systemejer', 'System owner'),
    ('legal', 'Jura', 'Legal'),
    ('communications', 'Kommunikation', 'Communications'),
    ('director', 'Direktør', 'Director');

-- Who may see a request (CONTRACT §5): requester, approver or substitute (current or past),
-- a role the workflow grants visibility to, or an auditor. Used by every read and by replay.
CREATE FUNCTION godkend_can_see(p_request_id bigint, p_user bigint, p_roles text[])
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT 'auditor' = ANY (p_roles)
        OR EXISTS (SELECT 1 FROM requests r WHERE r.id = p_request_id AND r.requester_id = p_user)
        OR EXISTS (SELECT 1 FROM assignments a
                   WHERE a.request_id = p_request_id
                     AND (a.user_id = p_user OR a.on_behalf_of = p_user))
        OR EXISTS (SELECT 1 FROM requests r JOIN workflow_versions w ON w.id = r.workflow_version_id
                   WHERE r.id = p_request_id AND (w.definition -> 'visible_to_roles') ?| p_roles)
$$;
