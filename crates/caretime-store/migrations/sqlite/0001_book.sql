-- caretime's book in SQLite. Instants are Unix seconds (INTEGER); each instant that a person
-- reads in local time has its IANA zone beside it. Ids are the engine's (0-based) numbers.
-- The PostgreSQL schema (migrations/postgres) has the same tables and columns.

-- The book's settings: one row. `journal_seq` is the journal's head: the last sequence number
-- written. A writer holds the database's write lock (BEGIN IMMEDIATE) while it reads and
-- advances it, so journal rows are written, and become visible, in sequence order.
CREATE TABLE book (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    region_id INTEGER NOT NULL,
    region_name TEXT NOT NULL,
    -- The rule set deadlines are computed with: its TOML text, as given at import.
    rules TEXT NOT NULL,
    -- The first local date of the book's horizon (YYYY-MM-DD): nothing is booked before it.
    horizon_first TEXT NOT NULL,
    journal_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;

-- The region, in the columns of the region CSV tables (caretime-region `CsvTable`); lists
-- within a cell are separated by `;`.
CREATE TABLE facility (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    time_zone TEXT NOT NULL,
    mon TEXT NOT NULL, tue TEXT NOT NULL, wed TEXT NOT NULL, thu TEXT NOT NULL,
    fri TEXT NOT NULL, sat TEXT NOT NULL, sun TEXT NOT NULL,
    weekdays TEXT NOT NULL,
    holidays TEXT NOT NULL,
    closures TEXT NOT NULL
) STRICT;

CREATE TABLE template_block (
    template INTEGER NOT NULL,
    template_name TEXT NOT NULL,
    fte TEXT NOT NULL,
    position INTEGER NOT NULL,
    day TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (template, position)
) STRICT;

CREATE TABLE clinician (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    discipline TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    languages TEXT NOT NULL,
    modalities TEXT NOT NULL,
    fte TEXT NOT NULL,
    facility INTEGER NOT NULL REFERENCES facility (id),
    template INTEGER NOT NULL,
    template_name TEXT NOT NULL
) STRICT;

-- Members hold PHI (plan number, name, birth date, home): read them only through the store,
-- which audits every read.
CREATE TABLE member (
    id INTEGER PRIMARY KEY,
    plan_number TEXT NOT NULL,
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    language TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    accepts TEXT NOT NULL
) STRICT;

-- The journal: every accepted decision's changes, in order. `decision` is the sequence number
-- of the decision's first change; a process applies a decision's rows together.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    decision INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    change TEXT NOT NULL
) STRICT;

-- Appointments as they stand (the journal says how they got there).
CREATE TABLE appointment (
    id INTEGER PRIMARY KEY,
    request INTEGER NOT NULL,
    member INTEGER NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    clinician INTEGER NOT NULL REFERENCES clinician (id),
    facility INTEGER NOT NULL REFERENCES facility (id),
    zone TEXT NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL CHECK (end_at > start_at AND end_at - start_at <= 86400),
    time_kind TEXT NOT NULL,
    modality TEXT NOT NULL,
    interpreter TEXT,
    route TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Whether it holds the clinician's time (status proposed, pending, booked, arrived,
    -- fulfilled or noshow): no two held appointments of one clinician overlap.
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    expires INTEGER,
    cancel_reason TEXT,
    cancelled_by TEXT,
    cancelled_at INTEGER,
    replaces INTEGER REFERENCES appointment (id),
    offered_clinician INTEGER NOT NULL,
    offered_start INTEGER NOT NULL,
    -- Business days late of the offer it answered (0 with `met`).
    offered_met INTEGER NOT NULL CHECK (offered_met IN (0, 1)),
    offered_late_days INTEGER NOT NULL,
    -- The journal row that last changed it.
    journal_seq INTEGER NOT NULL REFERENCES journal (seq)
) STRICT;

CREATE INDEX appointment_by_clinician ON appointment (clinician, start_at);
CREATE INDEX appointment_by_member ON appointment (member, start_at);

-- The database's own guard against a double booking, whatever a process's cache believed: a
-- held appointment may not overlap another held one of the same clinician. (Writers also hold
-- the write lock, BEGIN IMMEDIATE, from the check of the journal head to the commit.)
CREATE TRIGGER appointment_no_overlap_insert
BEFORE INSERT ON appointment
WHEN NEW.active = 1 AND EXISTS (
    SELECT 1 FROM appointment
    WHERE clinician = NEW.clinician AND active = 1
      AND start_at < NEW.end_at AND end_at > NEW.start_at
      AND start_at > NEW.start_at - 86400
)
BEGIN
    SELECT RAISE(ABORT, 'caretime: overlapping appointment');
END;

CREATE TRIGGER appointment_no_overlap_update
BEFORE UPDATE OF active, start_at, end_at, clinician ON appointment
WHEN NEW.active = 1 AND EXISTS (
    SELECT 1 FROM appointment
    WHERE clinician = NEW.clinician AND active = 1 AND id <> NEW.id
      AND start_at < NEW.end_at AND end_at > NEW.start_at
      AND start_at > NEW.start_at - 86400
)
BEGIN
    SELECT RAISE(ABORT, 'caretime: overlapping appointment');
END;

-- Out-of-network arrangements (SB 855): recorded when no internal or network time met the
-- deadline.
CREATE TABLE arrangement (
    journal_seq INTEGER PRIMARY KEY REFERENCES journal (seq),
    request INTEGER NOT NULL,
    member INTEGER NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested INTEGER NOT NULL,
    deadline INTEGER NOT NULL
) STRICT;

CREATE INDEX arrangement_by_member ON arrangement (member);

-- Requests waiting for time that meets their deadline.
CREATE TABLE waitlist (
    request INTEGER PRIMARY KEY,
    member INTEGER NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    since INTEGER NOT NULL,
    journal_seq INTEGER NOT NULL REFERENCES journal (seq)
) STRICT;

-- Episodes of care and their appointments.
CREATE TABLE episode (
    id INTEGER PRIMARY KEY,
    member INTEGER NOT NULL REFERENCES member (id),
    clinician INTEGER NOT NULL REFERENCES clinician (id),
    cadence TEXT NOT NULL,
    discharged INTEGER,
    journal_seq INTEGER NOT NULL REFERENCES journal (seq)
) STRICT;

CREATE TABLE episode_appointment (
    episode INTEGER NOT NULL REFERENCES episode (id),
    appointment INTEGER NOT NULL REFERENCES appointment (id),
    PRIMARY KEY (episode, appointment)
) STRICT;

-- Therapy groups, their sessions and seats.
CREATE TABLE therapy_group (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    facility INTEGER NOT NULL REFERENCES facility (id),
    capacity INTEGER NOT NULL,
    journal_seq INTEGER NOT NULL REFERENCES journal (seq)
) STRICT;

CREATE TABLE group_session (
    therapy_group INTEGER NOT NULL REFERENCES therapy_group (id),
    session INTEGER NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    cancel_reason TEXT,
    cancelled_by TEXT,
    cancelled_at INTEGER,
    PRIMARY KEY (therapy_group, session)
) STRICT;

-- One row a seat: a member expected at a session (a member may hold a booked seat and a
-- cancelled one in one session, so seats have no key of their own).
CREATE TABLE group_seat (
    therapy_group INTEGER NOT NULL,
    session INTEGER NOT NULL,
    member INTEGER NOT NULL REFERENCES member (id),
    status TEXT NOT NULL,
    FOREIGN KEY (therapy_group, session) REFERENCES group_session (therapy_group, session)
) STRICT;

CREATE INDEX group_seat_by_session ON group_seat (therapy_group, session, member);

CREATE TABLE group_facilitator (
    therapy_group INTEGER NOT NULL REFERENCES therapy_group (id),
    position INTEGER NOT NULL,
    clinician INTEGER NOT NULL REFERENCES clinician (id),
    PRIMARY KEY (therapy_group, position)
) STRICT;

-- The roster: members enrolled, in enrolment order.
CREATE TABLE group_member (
    therapy_group INTEGER NOT NULL REFERENCES therapy_group (id),
    member INTEGER NOT NULL REFERENCES member (id),
    enrolled_seq INTEGER NOT NULL REFERENCES journal (seq),
    PRIMARY KEY (therapy_group, member)
) STRICT;

-- Facilitators standing in for one session.
CREATE TABLE group_substitute (
    therapy_group INTEGER NOT NULL,
    session INTEGER NOT NULL,
    absent INTEGER NOT NULL REFERENCES clinician (id),
    substitute INTEGER NOT NULL REFERENCES clinician (id),
    PRIMARY KEY (therapy_group, session, absent),
    FOREIGN KEY (therapy_group, session) REFERENCES group_session (therapy_group, session)
) STRICT;

-- Schedule changes (a strike, leave, a closure, a new template) from a date on.
CREATE TABLE schedule_change (
    journal_seq INTEGER PRIMARY KEY REFERENCES journal (seq),
    clinician INTEGER NOT NULL REFERENCES clinician (id),
    from_date TEXT NOT NULL
) STRICT;

-- The audit log: who read or wrote member data, what, when, from where, and the outcome.
-- Append-only: the triggers below refuse every update and delete.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    outcome TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'caretime: the audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'caretime: the audit log is append-only');
END;
