// Package scenario generates the demonstration timeline of `ledgerctl demo` and the
// realistic submissions `ledgerctl bench` ingests: the public institutions of Aba
// Prefecture (organs at prefecture and county level, public-service operators, a
// dispatched national agency, an authorised organisation, the prefecture and a county data
// authority) and the acts the Measures turn into events, as the payload structs of the
// event catalogue (domain/events).
//
// It guarantees that
//
//   - every event's type is a catalogue type (or the key registry's), its payload is
//     accepted by the catalogue on its own and it lies on the stream the catalogue
//     derives, so that a ledger opened with commands.Checker, as ledgerd opens it, admits
//     the whole timeline when it is appended wave by wave ([Waves]);
//   - together, the registry, the setup and the storyline use every type of the
//     catalogue (ledger.access_refused.v1 is written by the checker itself, when the
//     storyline's suspended party acts: that event carries Refused);
//   - deadlines are met or missed in working days of the PRC calendar
//     (domain/calendar) under the policy version in force on the trigger day
//     (policy), not in calendar days; [Timeline.Violations] lists every deliberate breach,
//     at least one per finding rule F1–F18;
//   - a timeline is reproducible from its seed, event ids included (UUIDv7 with the
//     event's time and seeded random bits), so acts can name each other (an update its
//     trigger, a reclassification its desensitisation record);
//   - an event that depends on another comes after it in time and in a later wave; a key
//     rotation is a barrier: nothing after it is sent before it is committed, and the
//     rotating institution's later acts carry KeyGen 1.
//
// # Basics
//
//	tl := scenario.Generate(scenario.Config{Events: 10000, Seed: 1, End: time.Now()})
//	// append tl.Registry, then register one key per institution, then tl.Setup,
//	// then for _, wave := range scenario.Waves(tl.Events, 1024) { ... concurrently ... }
//
// [Ingest] is the benchmark's variant: acts that need no state, valid in any order.
//
// # Caveats
//
// The figures (record counts, delays) are invented but plausible; people and parties
// are pseudonyms (the names in person.registered.v1 are invented too). Outside the
// calendar's data (after 2027-10) deadlines are approximated rather than refused, since a
// demonstration must run; the projections refuse instead.
package scenario
