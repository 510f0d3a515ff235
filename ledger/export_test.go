package ledger

// SetVerifyChunks shrinks the verification pipeline's chunk and task sizes so that tests
// cross their boundaries with few entries; the returned function restores them.
func SetVerifyChunks(chunk uint64, task int) (restore func()) {
	c, t := verifyChunk, verifyTask
	verifyChunk, verifyTask = chunk, task
	return func() { verifyChunk, verifyTask = c, t }
}
