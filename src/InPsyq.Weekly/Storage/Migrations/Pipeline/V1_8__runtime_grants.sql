-- InPsyq Weekly, PIPELINE migration set, V1.8: the runtime's rights (docs/deploy.md, step 3).
--
-- Two principals: the migrator (this migration's user) owns every object, and the runtime login is a member of
-- the NOLOGIN role inpsyq_service, which gets exactly the rights the product uses: the rows of every pipeline
-- table, its sequences, the helper functions; read-only on the source tables and the migration changelogs (the
-- runtime checks the schema version; it never writes them). No DDL, no ownership. inpsyq_admin_ro reads every
-- table. Default privileges give the same rights on every table, sequence and function the migrator creates
-- later, so later migrations need no grants of their own.
-- Runs once inside one transaction (Evolve default).

-- ---------------------------------------------------------------- row-level security
-- V1.2 enabled row-level security on scheduled_job_executions without forcing it, with policies that let
-- inpsyq_service do everything and inpsyq_admin_ro read everything: it separated nothing the grants do not
-- already separate, and the owner bypassed it. The grants below are the access control; the policies go.
DROP POLICY IF EXISTS scheduled_job_executions_service_all ON scheduled_job_executions;
DROP POLICY IF EXISTS scheduled_job_executions_admin_read ON scheduled_job_executions;
ALTER TABLE scheduled_job_executions DISABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------- grants
-- On the objects this migrator owns in the schema (GRANT ... ON ALL TABLES would fail on a table of the wider
-- product that shares the schema in Azure, on which the migrator has no rights).
DO $grants$
DECLARE
    schema_name CONSTANT text := current_schema();
    -- Read-only for the runtime: the changelogs, and the source tables where this migrator created them (locally;
    -- in Azure they belong to the wider product, whose administrator grants SELECT on them).
    read_only CONSTANT text[] := ARRAY[
        'inpsyq_pipeline_changelog', 'inpsyq_source_changelog',
        'orgs', 'teams', 'measurement_items', 'measurement_responses', 'team_dependencies'];
    object record;
BEGIN
    FOR object IN
        SELECT c.relname, c.relkind
          FROM pg_catalog.pg_class AS c
         WHERE c.relnamespace = schema_name::regnamespace
           AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
           AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    LOOP
        IF object.relkind = 'S' THEN
            EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I.%I TO inpsyq_service', schema_name, object.relname);
        ELSIF object.relname = ANY (read_only) THEN
            EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON %I.%I FROM inpsyq_service', schema_name, object.relname);
            EXECUTE format('GRANT SELECT ON %I.%I TO inpsyq_service', schema_name, object.relname);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO inpsyq_service', schema_name, object.relname);
        END IF;
        IF object.relkind <> 'S' THEN
            EXECUTE format('GRANT SELECT ON %I.%I TO inpsyq_admin_ro', schema_name, object.relname);
        END IF;
    END LOOP;

    FOR object IN
        SELECT p.oid::regprocedure AS signature
          FROM pg_catalog.pg_proc AS p
         WHERE p.pronamespace = schema_name::regnamespace
           AND p.proowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO inpsyq_service', object.signature);
    END LOOP;

    -- What the migrator creates later gets the same rights (later read-only tables revoke what they must not give).
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO inpsyq_service', schema_name);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO inpsyq_service', schema_name);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT EXECUTE ON FUNCTIONS TO inpsyq_service', schema_name);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO inpsyq_admin_ro', schema_name);
END
$grants$;
