-- godkend schema, revision 0002: what lossless real-time delivery needs beside the outbox
-- (docs/realtime.md, docs/adr/0003-outbox-and-wakeups.md).

-- How far retention pruning has deleted, in (tx, id) order: a cursor before this mark has lost
-- events and is answered with one system.reset. One row, updated in the pruning transaction.
CREATE TABLE events_pruned (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tx         xid8    NOT NULL,
    id         bigint  NOT NULL,
    pruned_at  timestamptz
);
INSERT INTO events_pruned (tx, id) VALUES ('0', 0);

-- The outbox for writers outside godkend (external systems, triggers, audit taps): inserts one
-- event with the request's audience as it stands now, then wakes every listener. godkend's own
-- actions insert directly and do not NOTIFY (a NOTIFYing commit takes a cluster-wide lock).
-- Returns the event's cursor.
CREATE FUNCTION godkend_publish(type text, request_id bigint, payload jsonb)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_variable
DECLARE
    p_type       text   := $1;
    p_request_id bigint := $2;
    p_payload    jsonb  := COALESCE($3, '{}'::jsonb);
    req          record;
    users        bigint[] := '{}';
    roles        text[];
    summary      jsonb;
    body         jsonb;
    new_tx       xid8;
    new_id       bigint;
BEGIN
    IF p_type IS NULL OR p_type !~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' THEN
        RAISE EXCEPTION 'godkend_publish: % is not an event type (like request.reminder)', p_type
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_type LIKE 'system.%' THEN
        RAISE EXCEPTION 'godkend_publish: system.* events are reserved for godkend'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(p_payload) <> 'object' THEN
        RAISE EXCEPTION 'godkend_publish: the payload must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF p_request_id IS NOT NULL THEN
        SELECT r.id, r.reference_number, r.title, r.status, r.requester_id, w.key AS workflow,
               w.definition -> 'visible_to_roles' AS visible
          INTO req
          FROM requests r JOIN workflow_versions w ON w.id = r.workflow_version_id
         WHERE r.id = p_request_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'godkend_publish: no request %', p_request_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        SELECT COALESCE(array_agg(DISTINCT s.u ORDER BY s.u), '{}') INTO users FROM (
            SELECT req.requester_id AS u
            UNION SELECT a.user_id FROM assignments a WHERE a.request_id = p_request_id
            UNION SELECT a.on_behalf_of FROM assignments a WHERE a.request_id = p_request_id
        ) s WHERE s.u IS NOT NULL;
        SELECT array_agg(DISTINCT s.r ORDER BY s.r) INTO roles FROM (
            SELECT jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(req.visible) = 'array' THEN req.visible ELSE '[]' END)
            UNION SELECT 'auditor'
        ) s(r);
        summary := jsonb_build_object(
            'id', req.id, 'reference_number', req.reference_number, 'title', req.title,
            'workflow', req.workflow, 'status', req.status);
    ELSE
        roles := ARRAY['auditor'];
    END IF;

    -- Defaults, then what the caller gave, then what only the database can vouch for.
    body := jsonb_build_object(
                'occurred_at', to_char(clock_timestamp() AT TIME ZONE 'UTC',
                                       'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                'request', summary, 'actor', NULL, 'data', '{}'::jsonb,
                'message', jsonb_build_object('da', p_type, 'en', p_type))
            || (p_payload - 'id' - 'type' - 'request')
            || jsonb_build_object('type', p_type, 'request', summary);

    INSERT INTO events (type, request_id, audience_users, audience_roles, payload)
    VALUES (p_type, p_request_id, users, roles, body)
    RETURNING events.tx, events.id INTO new_tx, new_id;
    PERFORM pg_notify('godkend_events_v1', '');
    RETURN new_tx::text || ':' || new_id::text;
END
$fn$;

-- An idle transaction holds the outbox horizon back for every reader in the cluster, so the
-- application's role (whoever runs the migrations) gets a bound in this database. godkend's own
-- listener and notifier connections set it per session as well; see docs/realtime.md.
DO $do$
BEGIN
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET idle_in_transaction_session_timeout = %L',
                   current_user, current_database(), '30s');
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'could not set idle_in_transaction_session_timeout for role %: %',
        current_user, SQLERRM;
END
$do$;
