-- caretime's book in PostgreSQL. Instants are Unix seconds (BIGINT); each instant that a person
-- reads in local time has its IANA zone beside it. Ids are the engine's (0-based) numbers.
-- The SQLite schema (migrations/sqlite) has the same tables and columns.

-- The book's settings: one row. `journal_seq` is the journal's head: the last sequence number
-- written. A writer holds the database's write lock (BEGIN IMMEDIATE) while it reads and
-- advances it (SELECT ... FOR UPDATE), so journal rows are written, and become visible, in
-- sequence order.
CREATE TABLE book (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    region_id BIGINT NOT NULL,
    region_name TEXT NOT NULL,
    -- The rule set deadlines are computed with: its TOML text, as given at import.
    rules TEXT NOT NULL,
    -- The first local date of the book's horizon (YYYY-MM-DD): nothing is booked before it.
    horizon_first TEXT NOT NULL,
    journal_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- The region, in the columns of the region CSV tables (caretime-region `CsvTable`); lists
-- within a cell are separated by `;`.
CREATE TABLE facility (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    time_zone TEXT NOT NULL,
    mon TEXT NOT NULL, tue TEXT NOT NULL, wed TEXT NOT NULL, thu TEXT NOT NULL,
    fri TEXT NOT NULL, sat TEXT NOT NULL, sun TEXT NOT NULL,
    weekdays TEXT NOT NULL,
    holidays TEXT NOT NULL,
    closures TEXT NOT NULL
);

CREATE TABLE template_block (
    template BIGINT NOT NULL,
    template_name TEXT NOT NULL,
    fte TEXT NOT NULL,
    position BIGINT NOT NULL,
    day TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (template, position)
);

CREATE TABLE clinician (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    discipline TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    languages TEXT NOT NULL,
    modalities TEXT NOT NULL,
    fte TEXT NOT NULL,
    facility BIGINT NOT NULL REFERENCES facility (id),
    template BIGINT NOT NULL,
    template_name TEXT NOT NULL
);

-- Members hold PHI (plan number, name, birth date, home): read them only through the store,
-- which audits every read.
CREATE TABLE member (
    id BIGINT PRIMARY KEY,
    plan_number TEXT NOT NULL,
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    language TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    accepts TEXT NOT NULL
);

-- The journal: every accepted decision's changes, in order. `decision` is the sequence number
-- of the decision's first change; a process applies a decision's rows together.
CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    decision BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    change TEXT NOT NULL
);

-- Appointments as they stand (the journal says how they got there).
CREATE TABLE appointment (
    id BIGINT PRIMARY KEY,
    request BIGINT NOT NULL,
    member BIGINT NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    clinician BIGINT NOT NULL REFERENCES clinician (id),
    facility BIGINT NOT NULL REFERENCES facility (id),
    zone TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL CHECK (end_at > start_at AND end_at - start_at <= 86400),
    time_kind TEXT NOT NULL,
    modality TEXT NOT NULL,
    interpreter TEXT,
    route TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Whether it holds the clinician's time (status proposed, pending, booked, arrived,
    -- fulfilled or noshow): no two held appointments of one clinician overlap.
    active BOOLEAN NOT NULL,
    expires BIGINT,
    cancel_reason TEXT,
    cancelled_by TEXT,
    cancelled_at BIGINT,
    replaces BIGINT REFERENCES appointment (id),
    offered_clinician BIGINT NOT NULL,
    offered_start BIGINT NOT NULL,
    -- Business days late of the offer it answered (0 with `met`).
    offered_met BOOLEAN NOT NULL,
    offered_late_days BIGINT NOT NULL,
    -- The journal row that last changed it.
    journal_seq BIGINT NOT NULL REFERENCES journal (seq)
);

CREATE INDEX appointment_by_clinician ON appointment (clinician, start_at);
CREATE INDEX appointment_by_member ON appointment (member, start_at);

-- The database's own guard against a double booking, whatever a process's cache believed: a
-- held appointment may not overlap another held one of the same clinician (a violation is
-- SQLSTATE 23P01). btree_gist gives the equality on `clinician` a GiST operator class.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointment ADD CONSTRAINT appointment_no_overlap EXCLUDE USING gist (
    clinician WITH =,
    tstzrange(to_timestamp(start_at), to_timestamp(end_at)) WITH &&
) WHERE (active);

-- Out-of-network arrangements (SB 855): recorded when no internal or network time met the
-- deadline.
CREATE TABLE arrangement (
    journal_seq BIGINT PRIMARY KEY REFERENCES journal (seq),
    request BIGINT NOT NULL,
    member BIGINT NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested BIGINT NOT NULL,
    deadline BIGINT NOT NULL
);

CREATE INDEX arrangement_by_member ON arrangement (member);

-- Requests waiting for time that meets their deadline.
CREATE TABLE waitlist (
    request BIGINT PRIMARY KEY,
    member BIGINT NOT NULL REFERENCES member (id),
    kind TEXT NOT NULL,
    requested BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    since BIGINT NOT NULL,
    journal_seq BIGINT NOT NULL REFERENCES journal (seq)
);

-- Episodes of care and their appointments.
CREATE TABLE episode (
    id BIGINT PRIMARY KEY,
    member BIGINT NOT NULL REFERENCES member (id),
    clinician BIGINT NOT NULL REFERENCES clinician (id),
    cadence TEXT NOT NULL,
    discharged BIGINT,
    journal_seq BIGINT NOT NULL REFERENCES journal (seq)
);

CREATE TABLE episode_appointment (
    episode BIGINT NOT NULL REFERENCES episode (id),
    appointment BIGINT NOT NULL REFERENCES appointment (id),
    PRIMARY KEY (episode, appointment)
);

-- Therapy groups, their sessions and seats.
CREATE TABLE therapy_group (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    facility BIGINT NOT NULL REFERENCES facility (id),
    capacity BIGINT NOT NULL,
    journal_seq BIGINT NOT NULL REFERENCES journal (seq)
);

CREATE TABLE group_session (
    therapy_group BIGINT NOT NULL REFERENCES therapy_group (id),
    session BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    cancel_reason TEXT,
    cancelled_by TEXT,
    cancelled_at BIGINT,
    PRIMARY KEY (therapy_group, session)
);

-- One row a seat: a member expected at a session (a member may hold a booked seat and a
-- cancelled one in one session, so seats have no key of their own).
CREATE TABLE group_seat (
    therapy_group BIGINT NOT NULL,
    session BIGINT NOT NULL,
    member BIGINT NOT NULL REFERENCES member (id),
    status TEXT NOT NULL,
    FOREIGN KEY (therapy_group, session) REFERENCES group_session (therapy_group, session)
);

CREATE INDEX group_seat_by_session ON group_seat (therapy_group, session, member);

CREATE TABLE group_facilitator (
    therapy_group BIGINT NOT NULL REFERENCES therapy_group (id),
    position BIGINT NOT NULL,
    clinician BIGINT NOT NULL REFERENCES clinician (id),
    PRIMARY KEY (therapy_group, position)
);

-- The roster: members enrolled, in enrolment order.
CREATE TABLE group_member (
    therapy_group BIGINT NOT NULL REFERENCES therapy_group (id),
    member BIGINT NOT NULL REFERENCES member (id),
    enrolled_seq BIGINT NOT NULL REFERENCES journal (seq),
    PRIMARY KEY (therapy_group, member)
);

-- Facilitators standing in for one session.
CREATE TABLE group_substitute (
    therapy_group BIGINT NOT NULL,
    session BIGINT NOT NULL,
    absent BIGINT NOT NULL REFERENCES clinician (id),
    substitute BIGINT NOT NULL REFERENCES clinician (id),
    PRIMARY KEY (therapy_group, session, absent),
    FOREIGN KEY (therapy_group, session) REFERENCES group_session (therapy_group, session)
);

-- Schedule changes (a strike, leave, a closure, a new template) from a date on.
CREATE TABLE schedule_change (
    journal_seq BIGINT PRIMARY KEY REFERENCES journal (seq),
    clinician BIGINT NOT NULL REFERENCES clinician (id),
    from_date TEXT NOT NULL
);

-- The audit log: who read or wrote member data, what, when, from where, and the outcome.
-- Append-only: the triggers below refuse every update and delete.
CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    outcome TEXT NOT NULL
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'caretime: the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_no_update_or_delete BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
