-- Requests: what a member asked for, as the first change that carried it recorded it (a
-- booking's appointment, an out-of-network arrangement, a wait; a request that waits and is
-- then booked keeps the row of its wait). `preferences` is the journal's spelling of them, a
-- JSON object such as {"weekdays":["mon","tue"],"earliest_start":"09:00","latest_start":"17:00"}
-- (local days and times), NULL when the member can come any day at any time. An arrangement
-- carries only its request's id, member, kind and time: a request first carried by one has no
-- prior appointment, clinical exception, treating clinician or preferences recorded.
CREATE TABLE request (
    id BIGINT PRIMARY KEY,
    member BIGINT NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested BIGINT NOT NULL,
    -- The start of the prior appointment a follow-up's deadline counts from.
    prior_appointment BIGINT,
    -- The date a documented clinical exception allows (YYYY-MM-DD).
    clinical_exception TEXT,
    treating_clinician BIGINT REFERENCES clinician (id),
    preferences TEXT,
    -- The journal row of the first change that carried it.
    journal_seq BIGINT NOT NULL REFERENCES journal (seq)
);

CREATE INDEX request_by_member ON request (member);

-- The requests of a book written before this table, from its journal: each request's first
-- carrying change, read as caretime-store's `tables` module writes it. (`json`, not `jsonb`:
-- `->` gives the preferences' text as the journal spells it.)
INSERT INTO request (id, member, kind, requested, prior_appointment, clinical_exception,
    treating_clinician, preferences, journal_seq)
SELECT DISTINCT ON (id) id, member, kind, requested, prior_appointment, clinical_exception,
    treating_clinician, preferences, seq
FROM (
    SELECT seq,
        coalesce(r ->> 'id', r ->> 'request')::bigint AS id,
        (r ->> 'member')::bigint AS member,
        r ->> 'kind' AS kind,
        extract(epoch FROM (left(r ->> 'requested', 19) || 'Z')::timestamptz)::bigint
            AS requested,
        extract(epoch FROM (left(r ->> 'prior_appointment', 19) || 'Z')::timestamptz)::bigint
            AS prior_appointment,
        r ->> 'clinical_exception' AS clinical_exception,
        (r ->> 'treating_clinician')::bigint AS treating_clinician,
        (r -> 'preferences')::text AS preferences
    FROM (
        SELECT seq, CASE
            WHEN change LIKE '{"v":1,"change":"create",%' THEN change::json -> 'appointment' -> 'request'
            WHEN change LIKE '{"v":1,"change":"wait",%' THEN change::json -> 'entry' -> 'request'
            WHEN change LIKE '{"v":1,"change":"arrange",%' THEN change::json -> 'arrangement'
        END AS r
        FROM journal
    ) AS carried
    WHERE r IS NOT NULL
) AS requests
ORDER BY id, seq;
