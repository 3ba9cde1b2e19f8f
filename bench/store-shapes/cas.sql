-- An optimistic commit: read the head without a lock, then one statement that writes only if the
-- head has not moved (count the journal rows afterwards: pgbench counts attempts).
\set c random(1, 700)
\set s random(1, 10000000)
SELECT journal_seq AS seen FROM book WHERE id = 1 \gset
SELECT seq, decision, change FROM journal WHERE seq > :seen - 8 ORDER BY seq;
WITH b AS (UPDATE book SET journal_seq = :seen + 1 WHERE id = 1 AND journal_seq = :seen RETURNING journal_seq),
 j AS (INSERT INTO journal SELECT journal_seq, journal_seq, 0, 'bench', '{"create":{"id":1,"member":2,"clinician":3,"start":1764600000,"length":60,"status":"booked","route":"internal"}}' FROM b RETURNING seq),
 a AS (INSERT INTO appt (clinician, start_at, end_at, payload, journal_seq) SELECT :c, :s, :s + 3600, 'x', seq FROM j)
INSERT INTO audit (at, actor, source, action, entity, entity_id, outcome) SELECT 0, 'bench', 'here', 'create', 'appointment', '1', 'ok' FROM b;
