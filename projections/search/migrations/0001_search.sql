-- The investigation index of a deployment on PostgreSQL (projections/search, PGIndex;
-- docs/readmodels.md). One for the deployment: kept by the ledgerd that holds the
-- derived-work lease, read by every front-end for GET /v1/events. Never written by hand:
-- it is a read model, `ledgerctl rebuild search` empties it and the holder folds it again.

-- Entries folded: the next seq the index needs. Written in the same transaction as the
-- rows it counts.
CREATE TABLE search_position (
    id       integer PRIMARY KEY CHECK (id = 1),
    position bigint  NOT NULL
);
INSERT INTO search_position VALUES (1, 0);

-- One row per entry: what a result shows, and what an officer searches by.
CREATE TABLE search_acts (
    seq         bigint  PRIMARY KEY,
    day         text    NOT NULL,  -- YYYYMMDD, the act's claimed day in China time; 00000000 if none
    id          text    NOT NULL,
    type        text    NOT NULL,
    stream      text    NOT NULL,
    institution text    NOT NULL,
    person      text    NOT NULL,  -- the acting official
    resources   text[]  NOT NULL,  -- resources the act is on or names
    persons     text[]  NOT NULL,  -- officials the payload names (person, approved_by)
    occurred_at text    NOT NULL,
    recorded_at text    NOT NULL,
    hash        text    NOT NULL
);
-- Results come by day, then seq; each filter has an index in that order.
CREATE INDEX search_acts_day         ON search_acts (day, seq);
CREATE INDEX search_acts_institution ON search_acts (institution, day, seq);
CREATE INDEX search_acts_person      ON search_acts (person, day, seq);
CREATE INDEX search_acts_type        ON search_acts (type, day, seq);
CREATE INDEX search_acts_stream      ON search_acts (stream, day, seq);
CREATE INDEX search_acts_resources   ON search_acts USING gin (resources);
CREATE INDEX search_acts_persons     ON search_acts USING gin (persons);
