-- The ledger's tables. Entries, nodes and checkpoints are append-only: triggers refuse
-- UPDATE, DELETE and TRUNCATE, so a mistaken statement fails loudly. A database owner can
-- still disable the triggers; ledger.Verify is what catches that.

CREATE TABLE ledger_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    size      bigint  NOT NULL CHECK (size >= 0),
    last_hash bytea   NOT NULL CHECK (length(last_hash) = 32)
);
INSERT INTO ledger_head (size, last_hash) VALUES (0, decode(repeat('00', 32), 'hex'));

CREATE TABLE ledger_entries (
    seq            bigint PRIMARY KEY CHECK (seq >= 0),
    id             text COLLATE "C" NOT NULL,
    stream         text COLLATE "C" NOT NULL,
    stream_version bigint NOT NULL CHECK (stream_version >= 1),
    hash           bytea  NOT NULL CHECK (length(hash) = 32),
    leaf           bytea  NOT NULL CHECK (length(leaf) = 32),
    body           bytea  NOT NULL,
    CONSTRAINT ledger_entries_id_key UNIQUE (id),
    CONSTRAINT ledger_entries_stream_key UNIQUE (stream, stream_version)
);

-- Interior Merkle nodes (level >= 1); leaves are ledger_entries.leaf.
CREATE TABLE ledger_nodes (
    level smallint NOT NULL CHECK (level >= 1),
    idx   bigint   NOT NULL CHECK (idx >= 0),
    hash  bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_checkpoints (
    size bigint PRIMARY KEY CHECK (size >= 0),
    root bytea  NOT NULL CHECK (length(root) = 32),
    note bytea  NOT NULL
);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_nodes_append_only BEFORE UPDATE OR DELETE ON ledger_nodes
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE ON ledger_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
