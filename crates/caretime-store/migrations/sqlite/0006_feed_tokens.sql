-- What a token opens. `api`: the whole API, as the Authorization header carries it. `calendar`:
-- only the user's calendar feed (GET /Practitioner/{id}/calendar.ics?token=...), for calendar
-- programs that subscribe to a URL and cannot send a header; such a token travels in URLs, so it
-- opens nothing else. Tokens made before this migration are `api` tokens.
ALTER TABLE api_token ADD COLUMN scope TEXT NOT NULL DEFAULT 'api'
    CHECK (scope IN ('api', 'calendar'));
