// Package emergencies is the emergency-data sealing register of Art. 21 (第二十一条):
// each emergency, the data collected under it (data.collected.v1 naming the emergency),
// its classified evaluation, its sealing or destruction, the applications shut down, and
// what is overdue.
//
// The deadline is D8 of the versioned policy (default: 10 working days from the day the
// emergency ended), taken from the policy version in force on that day and counted on
// the PRC working-day calendar; neither is re-implemented here.
//
// # Basics
//
//	reg := emergencies.New()
//	for _, e := range entries { reg.Apply(e) }           // seq order; replays are ignored
//	for _, em := range reg.Emergencies() {
//		j := emergencies.Judge(em, pol, cal, asOf)       // done, late, pending, overdue, …
//	}
//
// Kind renders it as a report (`ledgerctl report emergencies`).
//
// # Caveats
//
// A data resource's duty is done only when it was evaluated and then sealed or destroyed
// as the evaluation decided (destroying satisfies a decision to seal). The ledger knows
// only the applications someone recorded: an ended emergency with no shutdown recorded
// is pending, then overdue. The register is not safe for concurrent use; MarshalBinary and
// UnmarshalBinary carry its whole state for a persisted read model.
package emergencies
