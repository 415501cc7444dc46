-- InPsyq Weekly: the database principals (docs/deploy.md, step 3). Idempotent; run it again at any time.
--
-- Run by the server's administrator (in Azure the Entra administrator: not a superuser) in the app's database,
-- after the two login roles exist (in Azure: pgaadauth_create_principal, in the postgres database). Its two
-- parameters are session settings, set just before it:
--   inpsyq.migrator  the login that owns the schema and applies the migrations
--   inpsyq.runtime   the login of the request and run paths
-- e.g. psql -v ON_ERROR_STOP=1 -c "set inpsyq.migrator = 'id-migrator-…'" -c "set inpsyq.runtime = 'id-…'" -f infra/postgres/principals.sql
--
-- The runtime gets no table rights here: it is a member of inpsyq_service, to which the migrations grant exactly
-- what the product uses (V1.8). Valid on PostgreSQL 15, 16 and 17; a test runs this file as written.
DO $principals$
DECLARE
    migrator    CONSTANT text := current_setting('inpsyq.migrator', true);
    runtime     CONSTANT text := current_setting('inpsyq.runtime', true);
    schema_name CONSTANT text := 'public';
    group_role  text;
BEGIN
    IF coalesce(migrator, '') = '' OR coalesce(runtime, '') = '' THEN
        RAISE EXCEPTION 'set inpsyq.migrator and inpsyq.runtime to the two login roles first';
    END IF;
    IF migrator = runtime THEN
        RAISE EXCEPTION 'the migrator and the runtime must be two different roles, got % twice', migrator;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = migrator)
       OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = runtime) THEN
        RAISE EXCEPTION 'create the login roles % and % first (Azure: pgaadauth_create_principal)', migrator, runtime;
    END IF;

    -- The NOLOGIN group roles the migrations grant to. Roles are cluster-wide: another database of the server may
    -- have created them already, or be creating them now (a lost race reports duplicate_object or unique_violation).
    FOREACH group_role IN ARRAY ARRAY['inpsyq_service', 'inpsyq_admin_ro'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = group_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN
                    RAISE NOTICE 'role % was created concurrently; using it', group_role;
            END;
        END IF;
    END LOOP;

    -- The migrator connects and creates (so owns) the app's objects in the schema.
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), migrator);
    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', schema_name, migrator);

    -- The runtime connects and uses the schema; its rights on the objects come through inpsyq_service only.
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), runtime);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO inpsyq_service, inpsyq_admin_ro', schema_name);
    EXECUTE format('GRANT inpsyq_service TO %I', runtime);
    -- No DDL: an earlier version of this guide let the runtime create in the schema, and before PostgreSQL 15 every
    -- role could.
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM %I, PUBLIC', schema_name, runtime);
END
$principals$;
