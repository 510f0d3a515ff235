// Package auth decides who may read the ledger's event data and keeps a record of every
// such read: roles, credentials that are never stored in clear, per-client rate limits
// and a hash-chained read-audit log. It knows nothing of HTTP routes; api/auth.go applies
// it to ledgerd's endpoints.
//
// # Guarantees
//
//   - A bearer token is shown once, when it is made (NewToken); the credentials file holds
//     only an Argon2id hash of its secret with a per-token salt. A token names its
//     credential id in clear ("dlt1_<id>_<secret>") so that checking it costs one KDF, not
//     one per stored credential; an unknown id costs nothing.
//   - A client certificate is mapped to a role by the SHA-256 fingerprint of its DER, and
//     only after the TLS layer has verified it against the configured client CA.
//   - Every principal has exactly one Role; an institution principal is bound to one
//     institution id. Roles are a closed set: an unknown role in the credentials file is
//     an error when it is loaded, not a silent denial later.
//   - The audit log (AuditLog) is append-only JSON lines; each line carries the SM3 hash
//     of the line before it and its own hash, so that editing or deleting a line breaks
//     the chain at that line (VerifyAudit names it). Payloads are never written to it:
//     only who, what (event ids, positions, streams), when and the outcome.
//
// # Basics
//
//	a, err := auth.OpenAuthenticator("DATA/access/tokens.json", nil)
//	p, err := a.Authenticate(r)           // *Principal, or ErrNoCredentials / ErrBadCredentials
//	lim := auth.NewLimiter(20, 40)        // 20 requests/s, bursts of 40, per client
//	ok, wait := lim.Allow(p.ClientKey())
//	log, err := auth.OpenAuditLog("DATA/access/audit.jsonl", auth.AuditOptions{})
//	err = log.Append(auth.AuditRecord{...})
//
// # Caveats
//
// The hash chain makes a deleted or edited line evident, not a truncated tail: whoever can
// rewrite the file can cut its end. Ship the log (or its last hash, which ledgerd logs on
// start and stop) somewhere the ledger's operator cannot write. Token checks are cached
// in memory (by SM3 of the presented token) after the first successful KDF, so the KDF
// cost is paid once per token per process; the credentials file is re-read when it
// changes, which is how `ledgerctl tokens revoke` takes effect without a restart.
package auth
