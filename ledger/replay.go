package ledger

// Exported hooks on the key registry for verifiers outside this package (evidence
// bundles), so that "which key could sign what, at which position" has one definition,
// used by ingest, full verification and offline bundle verification alike.

// GenesisRegistry reads a genesis submission and returns the registry it founds and the
// ledger key that must have signed it.
func GenesisRegistry(s *Submission) (*Registry, error) {
	r, _, err := genesisRegistry(s)
	return r, err
}

// Authorize applies the one rule for who may sign what to s under this registry: the
// key is known, not revoked, bound to the acting institution, and its role allows the
// type. It returns the key that must have signed s.
func (r *Registry) Authorize(s *Submission) (*KeyInfo, error) { return r.authorize(s) }

// Apply folds an authorised registry act recorded at seq into r, in place. Only use it
// on a registry you own (from GenesisRegistry or Clone), never on Ledger.Registry().
func (r *Registry) Apply(seq uint64, s *Submission) error { return r.apply(seq, s) }

// Clone returns an independent copy.
func (r *Registry) Clone() *Registry { return r.clone() }
