-- godkend schema, revision 0003: named approver groups, substitutes (delegations) and the step
-- timers (reminders, deadlines) that every instance's scheduler fires exactly once.

-- A named group of approvers (e.g. an appointments committee): `approvers: {group: key}`.
CREATE TABLE groups (
    key      text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*$' AND length(key) <= 64),
    name_da  text NOT NULL CHECK (length(name_da) BETWEEN 1 AND 200),
    name_en  text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200)
);

CREATE TABLE group_members (
    group_key  text   NOT NULL REFERENCES groups (key) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_key, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- A substitute decides in the absent user's place from starts_at until ends_at (or until
-- revoked), for every workflow or only those listed. The scheduler re-routes open requests when
-- a delegation starts or ends and marks that it did (start_applied_at, end_applied_at).
CREATE TABLE delegations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    substitute_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    workflows         text[],
    created_at        timestamptz NOT NULL,
    created_by        bigint REFERENCES users (id),
    revoked_at        timestamptz,
    start_applied_at  timestamptz,
    end_applied_at    timestamptz,
    CHECK (substitute_id <> user_id),
    CHECK (ends_at > starts_at),
    CHECK (workflows IS NULL OR cardinality(workflows) BETWEEN 1 AND 100)
);
CREATE INDEX delegations_user ON delegations (user_id, ends_at) WHERE revoked_at IS NULL;
CREATE INDEX delegations_substitute ON delegations (substitute_id, ends_at);
CREATE INDEX delegations_to_start ON delegations (starts_at)
    WHERE start_applied_at IS NULL AND revoked_at IS NULL;
CREATE INDEX delegations_to_end ON delegations (ends_at) WHERE end_applied_at IS NULL;

-- A step's reminders and deadline, one row each per activation (step, round) of a request.
-- Fired (fired_at) in the transaction that writes its events, by whichever instance claims it
-- first (FOR UPDATE SKIP LOCKED); cancelled when the request leaves the step.
CREATE TABLE timers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id    bigint  NOT NULL REFERENCES requests (id),
    step          integer NOT NULL,
    round         integer NOT NULL,
    kind          text    NOT NULL CHECK (kind IN ('reminder', 'deadline')),
    seq           integer NOT NULL DEFAULT 0,
    due_at        timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    fired_at      timestamptz,
    fired_by      text,
    cancelled_at  timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    UNIQUE (request_id, round, step, kind, seq)
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_open_of_request ON timers (request_id, due_at)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;

-- The inbox of a substitute and re-routing look assignments up by whom they stand in for.
CREATE INDEX assignments_on_behalf_of ON assignments (on_behalf_of, request_id)
    WHERE on_behalf_of IS NOT NULL;
