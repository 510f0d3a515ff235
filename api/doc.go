// Package api is the HTTP face of the ledger: it takes signed submissions, serves entries
// with inclusion proofs, checkpoints and the ledger's identity, and exposes health,
// readiness and Prometheus metrics. The contract is docs/openapi.yaml, served at
// /openapi.yaml.
//
// # Guarantees
//
//   - A refused request writes nothing: every check the ledger makes happens before its
//     sequencer seals an entry, and the transport's own checks (method, media type, body
//     size) happen before the ledger sees the body.
//   - Every error, whatever produced it, has one JSON shape,
//     {"error":{"code","field","message","message_zh"}}, and one status mapping (errors.go):
//     invalid 400, too large 413, unauthorised 403, conflict 409, not found 404, wrong
//     method 405, wrong media type 415, rate limited 429, draining 503, anything else 500
//     with its detail kept in the log.
//   - 201 means the submission is durably recorded; 200 means the same id and bytes were
//     recorded before and the original receipt is returned. Re-sending after a timeout or a
//     503 is always safe.
//   - Request bodies are never logged: they carry personal data.
//
// # Basics
//
// Build the metrics on a registry, open the ledger with Metrics.ObserveBatch as its
// OnCommit hook, then serve New(Config{Ledger: l, Metrics: m, Gatherer: reg}). On
// shutdown call Server.Drain (readiness goes 503), shut the http.Server down, then close
// the ledger, which commits everything queued and signs a final checkpoint.
//
// # Caveats
//
// Reads are not yet authorised by role: until that lands (a Middleware in Config), put
// ledgerd behind an authenticating proxy wherever payloads are confidential. Per-client
// rate limits plug in the same way, refusing with a *ledger.Problem of kind
// ErrRateLimited.
package api
