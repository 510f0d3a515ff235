// Package client is what an institution's system uses to record acts in the ledger: sign a
// submission with its registered SM2 key (any crypto.Signer: a key file, a KMS, an HSM)
// and POST it to ledgerd, then optionally fetch the entry back with an inclusion proof
// and check it offline.
//
// # Guarantees
//
//   - Retries are safe: a submission is identified by its id, so re-sending the same
//     signed bytes after a lost answer, a network error or a 503 either records it once
//     or returns the original receipt (Receipt.Duplicate). The client retries only such
//     transient failures, for at most Client.RetryFor, always with the same bytes.
//   - A refusal comes back as *Error with the server's stable code, the field at fault and
//     messages in English and Chinese; errors.Is(err, ledger.ErrConflict) and the other
//     ledger sentinels work on it.
//   - Event.Verify trusts nothing the server says: it checks the checkpoint's signature,
//     the entry hash and the inclusion proof itself.
//
// # Basics
//
//	c := client.New("http://127.0.0.1:8080")
//	signed, receipt, err := c.SignAndSubmit(ctx, key, ledger.Submission{Stream: …, Type: …, Actor: …, Payload: …})
//
// To re-send later (after a crash of the caller, say), keep signed and call Submit with
// it: the ledger compares submission bytes, so the same id with the same bytes is a
// duplicate, while a submission rebuilt with another occurred_at under the same id is
// refused as a conflict (409 id_conflict).
//
// # Caveats
//
// The zero Client is unusable: set BaseURL (New does). The default HTTP client keeps up
// to 256 idle connections per host, enough for concurrent submitters.
package client
