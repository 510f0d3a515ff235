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
