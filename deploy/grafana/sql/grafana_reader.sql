-- The read-only role Grafana's PostgreSQL data source logs in as (docs/monitoring.md,
-- "PostgreSQL data source"). It reads the documented read-model views and nothing else:
-- not the ledger's entries, not the snapshots' state, and it cannot write.
--
--   psql "$LEDGER_DB_URL" -f deploy/grafana/sql/grafana_reader.sql
--   psql "$LEDGER_DB_URL" -c "ALTER ROLE ledger_grafana PASSWORD '…'"
--
-- Run it as the owner of the ledger's tables, after ledgerd has created them (its first
-- start with --store postgres://…). Re-running it is harmless.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledger_grafana') THEN
        CREATE ROLE ledger_grafana LOGIN;
    END IF;
END
$$;

ALTER ROLE ledger_grafana SET default_transaction_read_only = on;
ALTER ROLE ledger_grafana SET statement_timeout = '10s';
GRANT USAGE ON SCHEMA public TO ledger_grafana;
GRANT SELECT ON readmodel_findings, readmodel_obligations, readmodel_assessment, readmodel_institutions TO ledger_grafana;
