-- The store's commit as it is: BEGIN, lock the book row, read the journal, four writes, COMMIT.
\set c random(1, 700)
\set s random(1, 10000000)
BEGIN;
SELECT journal_seq AS head FROM book WHERE id = 1 FOR UPDATE \gset
SELECT seq, decision, change FROM journal WHERE seq > :head - 8 ORDER BY seq;
INSERT INTO journal VALUES (:head + 1, :head + 1, 0, 'bench', '{"create":{"id":1,"member":2,"clinician":3,"start":1764600000,"length":60,"status":"booked","route":"internal"}}');
INSERT INTO appt (clinician, start_at, end_at, payload, journal_seq) VALUES (:c, :s, :s + 3600, 'x', :head + 1);
UPDATE book SET journal_seq = :head + 1 WHERE id = 1 AND journal_seq = :head;
INSERT INTO audit (at, actor, source, action, entity, entity_id, outcome) VALUES (0, 'bench', 'here', 'create', 'appointment', '1', 'ok');
COMMIT;
