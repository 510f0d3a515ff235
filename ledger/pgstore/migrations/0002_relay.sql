-- Where each front-end that holds a named lease can be reached by the others: the
-- sequencing point's relay address (ledger/relay). A row says who claimed it last; the
-- lease, not this table, says who holds it, and what is sent there is authenticated
-- with the deployment's relay secret, so a stale or forged row costs a retry, not
-- a receipt.
CREATE TABLE ledger_relay (
    name    text COLLATE "C" PRIMARY KEY,
    address text NOT NULL,
    since   timestamptz NOT NULL DEFAULT now()
);
