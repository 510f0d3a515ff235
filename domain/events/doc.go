// Package events is the event catalogue: every act of the Measures the ledger records,
// as a stable, versioned type name (data.collected.v1), Chinese and English descriptions,
// the articles it serves, a Go payload struct, a JSON Schema generated from that struct,
// and an example.
//
// It guarantees that a payload Decode accepts is well formed for its type: no unknown
// fields, right JSON types, enum values from their closed sets, and every rule the
// payload can check on its own (Validate); each problem names the JSON field and the
// article. Rules that need the ledger's state live in the commands package.
//
// # Basics
//
//	t, ok := events.Lookup("share.data_used.v1")
//	p, err := events.Decode(t, raw)       // *ShareDataUsed, or every problem joined
//	stream, _ := t.StreamFor(actor, p)    // "resource/population.households"
//	schema, _ := events.Schema(t.Name)    // JSON Schema bytes
//
// docs/events.md, docs/schemas/ and types_gen.go (one constant per type name, such as
// DataCollectedV1, so that code names a type through the compiler) are generated (go
// generate ./domain/events); a test fails when they differ from the code.
//
// # Caveats
//
// Decode has two paths: a single type-directed scan that fills the struct directly for
// plain input (exact keys, no null, no escapes, no empty enum), and the general decoder
// that names every problem, taken for anything else. FuzzFastDecode holds them to the
// same payload and the same problems; a new Go kind in a payload struct (a float, a map,
// a type with its own UnmarshalJSON) simply sends its type down the general path.
//
// Fields tagged sensitive:"personal" carry personal or commercially confidential
// information; they are the fields the privacy layer (SM4-GCM per-subject keys) must
// encrypt. Parties are named by pseudonymous identifiers, never by name.
package events
