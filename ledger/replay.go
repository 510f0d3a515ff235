package ledger

// GenesisRegistry reads a genesis submission and returns the registry it founds: the
// start of the key registry for verifiers outside this package (evidence bundles), which
// then admit every later act through Registry.Step, the same rule ingest, catch-up and
// full verification use.
func GenesisRegistry(s *Submission) (*Registry, error) {
	r, _, err := genesisRegistry(s)
	return r, err
}
