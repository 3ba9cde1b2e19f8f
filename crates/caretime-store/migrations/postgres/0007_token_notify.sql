-- Serving processes keep the users of the API tokens they have checked (a round trip saved per
-- request) and empty that cache when users or tokens change. This trigger tells them: at the
-- commit of any statement that changes either table, from caretime or from plain SQL, it
-- notifies the channel `caretime_users` (caretime-store's tokens module listens there). A
-- notification carries nothing: every change empties the whole cache.
CREATE FUNCTION caretime_users_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('caretime_users', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER app_user_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON app_user
    FOR EACH STATEMENT EXECUTE FUNCTION caretime_users_changed();
CREATE TRIGGER api_token_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_token
    FOR EACH STATEMENT EXECUTE FUNCTION caretime_users_changed();
