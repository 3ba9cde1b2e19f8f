-- The book's snapshot: every journal change up to `seq`, packed (caretime-store `wire::packed`,
-- format `format`) in parts of whole decisions, so that a process loads the snapshot and then
-- only the journal rows after it. A cache of the journal, never the record: `caretime db
-- snapshot` writes a new one (and removes the older ones) in one transaction, `caretime db
-- check` compares it with the journal, and a binary that does not know its format replays the
-- journal instead.
CREATE TABLE snapshot (
    seq INTEGER NOT NULL,
    format INTEGER NOT NULL,
    part INTEGER NOT NULL,
    -- How many journal rows the part holds.
    changes INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (seq, part)
) STRICT;
