// Package strictjson is the one JSON decoder for everything the ledger accepts from
// outside: submissions' envelopes, evidence bundles, bundle and witness requests, rule and
// credential files.
//
// It guarantees that a document it accepts means one thing to every reader: object member
// names match the target's JSON names exactly (encoding/json would also take "INSTITUTION"
// for "institution"), no member appears twice at any depth, nothing follows the value,
// and every value has its field's JSON type. Each refusal is an *Error naming the path of
// the value at fault and a stable code.
//
// # Basics
//
//	var req struct{ Reason string `json:"reason"` }
//	err := strictjson.Unmarshal(body, &req) // *strictjson.Error{Path: "REASON", Code: "unknown_field"}
//
// # Caveats
//
// Fields of type json.RawMessage, interfaces and types with their own UnmarshalJSON are
// checked for syntax and duplicate members only: their own decoder (for example the
// event catalogue's, for a payload) owns their shape. It reads the document twice (a
// checking pass, then encoding/json), which is cheap beside a signature verification; hot
// paths that only ever see canonical bytes have their own exact scanners in front of it.
package strictjson
