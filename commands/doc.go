// Package commands is the write side: one command per regulated act (the payload types of
// domain/events), validated, authorised against the registries folded from the log, refused
// to a party whose access is suspended (Art. 42, the refusal itself recorded), then signed
// and appended with an expected stream version and a bounded retry on conflict.
//
// It guarantees that what it refuses writes nothing but, for a suspended party, one
// ledger.access_refused.v1 record; and that every refusal is a *ledger.Problem (joined
// when there are several) naming the JSON field and the article, in English and Chinese,
// so the HTTP layer maps it to 400/403/409 in one place.
//
// # Basics
//
// The same rules run for Go callers and for POST /v1/events: ledgerd passes
// Checker.Check as ledger.Options.Check and Checker.OnCommit as OnCommit, then calls
// Attach once the ledger is open.
//
//	chk := commands.NewChecker(registry.New(), ledgerKey, logger)
//	opts := ledger.Options{Signer: ledgerKey}
//	chk.Wire(&opts) // Check, Sequence, and the registry kept current on commit and catch-up
//	l, _ := ledger.Open(ctx, st, opts)
//	_ = chk.Attach(ctx, l)
//	h := &commands.Handler{Ledger: l, Checker: chk}
//	rcpt, err := h.Submit(ctx, key, commands.Command{Type: "share.data_used.v1", Institution: "aba-health-commission", Person: "p-zhang-wei", Payload: &events.ShareDataUsed{...}})
//
// Acts that break an obligation but happened (late, outside the catalog, without an
// approval, for another purpose) are recorded as facts; findings are the projections' job.
// What is refused is what the Measures make checkable at the door: malformed or
// incomplete acts, acts by someone with no standing to do them, and acts of suspended parties.
//
// # Caveats
//
// Authorisation reads a registry folded from committed entries, so two conflicting acts
// submitted in the same instant may both pass the check; the expected stream version the
// Handler sets makes the second one conflict and retry against the new state. Raw
// submissions without expected_version get no such protection.
package commands
