CREATE TABLE IF NOT EXISTS projection_positions (
    consumer   text PRIMARY KEY,
    position   bigint NOT NULL CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE counts_by_type (
    consumer    text   NOT NULL,
    event_type  text   NOT NULL,
    institution text   NOT NULL,
    n           bigint NOT NULL CHECK (n > 0),
    PRIMARY KEY (consumer, event_type, institution)
);
