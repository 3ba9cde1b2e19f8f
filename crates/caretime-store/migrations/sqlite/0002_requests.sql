-- Requests: what a member asked for, as the first change that carried it recorded it (a
-- booking's appointment, an out-of-network arrangement, a wait; a request that waits and is
-- then booked keeps the row of its wait). `preferences` is the journal's spelling of them, a
-- JSON object such as {"weekdays":["mon","tue"],"earliest_start":"09:00","latest_start":"17:00"}
-- (local days and times), NULL when the member can come any day at any time. An arrangement
-- carries only its request's id, member, kind and time: a request first carried by one has no
-- prior appointment, clinical exception, treating clinician or preferences recorded.
CREATE TABLE request (
    id INTEGER PRIMARY KEY,
    member INTEGER NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested INTEGER NOT NULL,
    -- The start of the prior appointment a follow-up's deadline counts from.
    prior_appointment INTEGER,
    -- The date a documented clinical exception allows (YYYY-MM-DD).
    clinical_exception TEXT,
    treating_clinician INTEGER REFERENCES clinician (id),
    preferences TEXT,
    -- The journal row of the first change that carried it.
    journal_seq INTEGER NOT NULL REFERENCES journal (seq)
) STRICT;

CREATE INDEX request_by_member ON request (member);

-- The requests of a book written before this table, from its journal: each request's first
-- carrying change, read as caretime-store's `tables` module writes it.
INSERT INTO request (id, member, kind, requested, prior_appointment, clinical_exception,
    treating_clinician, preferences, journal_seq)
SELECT id, member, kind, requested, prior_appointment, clinical_exception, treating_clinician,
    preferences, seq
FROM (
    SELECT seq,
        coalesce(json_extract(r, '$.id'), json_extract(r, '$.request')) AS id,
        json_extract(r, '$.member') AS member,
        json_extract(r, '$.kind') AS kind,
        unixepoch(substr(json_extract(r, '$.requested'), 1, 19)) AS requested,
        unixepoch(substr(json_extract(r, '$.prior_appointment'), 1, 19)) AS prior_appointment,
        json_extract(r, '$.clinical_exception') AS clinical_exception,
        json_extract(r, '$.treating_clinician') AS treating_clinician,
        json_extract(r, '$.preferences') AS preferences,
        row_number() OVER (
            PARTITION BY coalesce(json_extract(r, '$.id'), json_extract(r, '$.request'))
            ORDER BY seq
        ) AS nth
    FROM (
        SELECT seq, CASE
            WHEN change LIKE '{"v":1,"change":"create",%' THEN json_extract(change, '$.appointment.request')
            WHEN change LIKE '{"v":1,"change":"wait",%' THEN json_extract(change, '$.entry.request')
            WHEN change LIKE '{"v":1,"change":"arrange",%' THEN json_extract(change, '$.arrangement')
        END AS r
        FROM journal
    )
    WHERE r IS NOT NULL
)
WHERE nth = 1;
