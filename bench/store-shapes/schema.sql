-- The tables the store-shape pgbench scripts write: the store's book, journal, appointment and
-- audit tables cut down (bench/NOTES.md, "bench store"). Load with psql -f before each run.
DROP TABLE IF EXISTS book, journal, appt, audit;
CREATE TABLE book (id int primary key, journal_seq bigint not null);
INSERT INTO book VALUES (1, 0);
CREATE TABLE journal (seq bigint primary key, decision bigint, at bigint, actor text, change text);
CREATE TABLE appt (id bigserial primary key, clinician bigint, start_at bigint, end_at bigint, payload text, journal_seq bigint references journal(seq));
CREATE TABLE audit (id bigint generated always as identity primary key, at bigint, actor text, source text, action text, entity text, entity_id text, outcome text);
