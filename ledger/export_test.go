package ledger

import "time"

// SetVerifyChunks shrinks the verification pipeline's chunk and task sizes so that tests
// cross their boundaries with few entries; the returned function restores them.
func SetVerifyChunks(chunk uint64, task int) (restore func()) {
	c, t := verifyChunk, verifyTask
	verifyChunk, verifyTask = chunk, task
	return func() { verifyChunk, verifyTask = c, t }
}

// SealEntry exposes sealing to tests that forge entries a writer never would.
func SealEntry(seq uint64, rec time.Time, version uint64, prev Hash, s *Signed) *Entry {
	return sealEntry(seq, rec, version, prev, s)
}

// AfterSeal sets the sequencer's hook for each submission placed in a batch (set it
// before Open and restore it after Close).
func AfterSeal(fn func(id string)) (restore func()) {
	old := afterSeal
	afterSeal = fn
	return func() { afterSeal = old }
}
