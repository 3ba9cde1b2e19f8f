-- The server's users and their bearer tokens. A token is shown once, when it is made; the
-- database keeps only its SHA-256 hash (a token is 32 random bytes, so a fast hash is enough; a
-- password, which a person chooses, is kept as an argon2 hash). A revoked token stays, with the
-- time it was revoked, so the audit log's actors keep meaning something.
CREATE TABLE app_user (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('scheduler', 'clinician', 'manager', 'auditor', 'admin')),
    -- For role `clinician`: which clinician of the region the user is.
    clinician INTEGER,
    -- argon2 (PHC string), or NULL for a user who signs in with tokens only.
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    CHECK ((role = 'clinician') = (clinician IS NOT NULL))
) STRICT;

CREATE TABLE api_token (
    hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX api_token_user ON api_token (user_id);
