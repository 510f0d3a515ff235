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
//     method 405, wrong media type 415, rate limited 429, not supported by this server 501,
//     draining 503, anything else 500 with its detail kept in the log.
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
// # Access control
//
// NewAccess (auth.go) is the Middleware that authorises reads by role, limits each
// client's rate and writes every read of event data to the read-audit log before the
// answer leaves; Config.KeyStore adds GET /v1/events/{id}/plaintext (privacy.go). The
// policy and its matrix are in docs/access.md.
//
// GET /v1/snapshot (snapshot.go) streams a consistent copy of a store that has the
// Snapshotter capability (the embedded bbolt store), with Config.Published's checkpoints
// and the genesis public keys, as a tar the offline tools read as a data directory; other
// stores answer 501. Its audit line is written when the status is sent, not after the
// body is buffered.
//
// POST /v1/bundles (bundles.go), with Config.LedgerKey, exports an evidence bundle from
// the running ledger: bundle.Export records ledger.bundle_exported.v1 under the ledger key
// with the credential's person, then the bundle is answered. Only roles that export
// (authority, security officer) reach it; the selection is bounded by
// Config.BundleMaxEntries.
//
// # Caveats
//
// A new /v1 route is, by default, a read of event data for the roles that read everything
// (authority, security officer, reviewer): an institution is refused until the route names
// an {id}, {seq} or {stream} the policy can scope, or is listed as public in auth.go.
package api
