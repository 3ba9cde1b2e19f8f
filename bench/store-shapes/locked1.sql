-- The same with the four writes folded into one statement (data-modifying CTEs).
\set c random(1, 700)
\set s random(1, 10000000)
BEGIN;
SELECT journal_seq AS head FROM book WHERE id = 1 FOR UPDATE \gset
SELECT seq, decision, change FROM journal WHERE seq > :head - 8 ORDER BY seq;
WITH b AS (UPDATE book SET journal_seq = :head + 1 WHERE id = 1 AND journal_seq = :head RETURNING journal_seq),
 j AS (INSERT INTO journal SELECT journal_seq, journal_seq, 0, 'bench', '{"create":{"id":1,"member":2,"clinician":3,"start":1764600000,"length":60,"status":"booked","route":"internal"}}' FROM b RETURNING seq),
 a AS (INSERT INTO appt (clinician, start_at, end_at, payload, journal_seq) SELECT :c, :s, :s + 3600, 'x', seq FROM j)
INSERT INTO audit (at, actor, source, action, entity, entity_id, outcome) SELECT 0, 'bench', 'here', 'create', 'appointment', '1', 'ok' FROM b;
COMMIT;
