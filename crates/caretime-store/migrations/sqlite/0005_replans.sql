-- Disruptions a replan answered, as their files give them.
CREATE TABLE disruption (
    id INTEGER PRIMARY KEY,
    -- The file's name without its folder and extension (`socal-strike`).
    name TEXT NOT NULL,
    -- strike, leave or closure.
    reason TEXT NOT NULL,
    -- Local dates (YYYY-MM-DD), the last one inclusive.
    first_date TEXT NOT NULL,
    last_date TEXT NOT NULL,
    -- Who it takes away, clinician ids separated by `;`: the file's clinicians, facilities and
    -- share of therapists, resolved against the region.
    clinicians TEXT NOT NULL,
    -- The file's text (TOML), as given.
    file TEXT NOT NULL
) STRICT;

-- Replans applied (`caretime replan --database --apply`), each written in the transaction of its
-- changes: when, by whom, the counts its report prints, and the journal rows of its changes
-- (none for a plan that changed nothing).
CREATE TABLE replan (
    id INTEGER PRIMARY KEY,
    disruption INTEGER NOT NULL REFERENCES disruption (id),
    decided_at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    displaced INTEGER NOT NULL,
    moved_internal INTEGER NOT NULL,
    moved_network INTEGER NOT NULL,
    out_of_network INTEGER NOT NULL,
    -- Moves within their deadline.
    timely INTEGER NOT NULL,
    groups_kept INTEGER NOT NULL,
    groups_cancelled INTEGER NOT NULL,
    first_seq INTEGER,
    last_seq INTEGER,
    CHECK ((first_seq IS NULL) = (last_seq IS NULL) AND first_seq <= last_seq)
) STRICT;
