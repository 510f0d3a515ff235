package client

import "github.com/aba-prefecture/dataledger/ledger"

// The JSON messages ledgerd speaks, defined once, here, where the clients that read them
// live; the server (package api) speaks them through aliases.

// InclusionProof is the body of GET /v1/proofs/inclusion: the entry at Seq, its audit
// path in the tree of Size entries and that tree's root. Checkpoint is the signed
// checkpoint of that size when the request named no size (the latest checkpoint) or the
// size is the latest checkpoint's; otherwise the root is only the server's word and the
// client should ask for a size it holds a signed checkpoint for.
type InclusionProof struct {
	Seq            uint64        `json:"seq"`
	Size           uint64        `json:"size"`
	Entry          []byte        `json:"entry"` // base64 of the exact canonical entry bytes
	Hash           ledger.Hash   `json:"hash"`
	Root           ledger.Hash   `json:"root"`
	InclusionProof []ledger.Hash `json:"inclusion_proof"`
	Checkpoint     string        `json:"checkpoint,omitempty"`
}

// ConsistencyProof is the body of GET /v1/proofs/consistency: the RFC 6962 proof that
// the tree of From entries is a prefix of the tree of To entries, with both roots.
type ConsistencyProof struct {
	From       uint64        `json:"from"`
	To         uint64        `json:"to"`
	FromRoot   ledger.Hash   `json:"from_root"`
	ToRoot     ledger.Hash   `json:"to_root"`
	Proof      []ledger.Hash `json:"proof"`
	Checkpoint string        `json:"checkpoint,omitempty"` // signed checkpoint of size To, if it is the latest
}

// CosignatureResult is the body of a successful POST /v1/checkpoint/cosignatures.
type CosignatureResult struct {
	Accepted []string `json:"accepted"` // names of the witnesses whose cosignatures were kept
}

// ErrorBody is the JSON shape of every error response:
//
//	{"error":{"code":"unknown_key","field":"submission.actor.key_id","message":"…","message_zh":"…"}}
//
// Code is stable and meant for programs; Field is the JSON path at fault ("" when the
// request as a whole is); the messages are for people, in English and Simplified Chinese.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string `json:"code"`
	Field     string `json:"field"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	// Problems lists every problem when a submission has several (a payload checked
	// against the event catalogue reports each field at fault); the first is also the
	// error itself.
	Problems []ErrorDetail `json:"problems,omitempty"`
}

// SnapshotFormat names the snapshot stream's layout; it changes when the layout does.
const SnapshotFormat = "dataledger-snapshot/v1"

// Names of the snapshot stream's members.
const (
	SnapshotStoreFile    = "ledger.db"
	SnapshotManifestFile = "snapshot.json"
)

// SnapshotManifest is the last member of GET /v1/snapshot's tar stream.
type SnapshotManifest struct {
	Format      string      `json:"format"`
	Origin      string      `json:"origin"`
	Size        uint64      `json:"size"`        // entries in the copy
	LastHash    ledger.Hash `json:"last_hash"`   // hash of its last entry
	StoreBytes  int64       `json:"store_bytes"` // length of ledger.db
	TakenAt     string      `json:"taken_at"`    // RFC 3339 UTC, when the read transaction began
	Checkpoints []string    `json:"checkpoints"` // member names under checkpoints/
	Keys        []string    `json:"keys"`        // member names under keys/
}

// BackupSeqHeader names, on POST /v1/backups' answer, the position of the recorded
// ledger.backup_taken.v1 entry (inside the snapshot that follows).
const BackupSeqHeader = "X-Ledger-Backup-Seq"

// BackupRequest is the body of POST /v1/backups: why the backup is taken, and whether the
// operator will add private keys to it (recorded; the server never sends any).
type BackupRequest struct {
	Reason      string `json:"reason"`
	PrivateKeys bool   `json:"private_keys,omitempty"`
}

// ExportSeqHeader names, on POST /v1/bundles' answer, the position of the recorded
// export entry.
const ExportSeqHeader = "X-Ledger-Export-Seq"

// BatchResult is one item's answer in the body of POST /v1/events:batch, at the item's
// index: Status is what POST /v1/events would have answered for that submission alone
// (201 recorded, 200 recorded earlier, 4xx or 5xx refused); a recorded item carries its
// receipt, a refused one its error.
type BatchResult struct {
	Status        int          `json:"status"`
	Seq           *uint64      `json:"seq,omitempty"`
	Hash          *ledger.Hash `json:"hash,omitempty"`
	StreamVersion *uint64      `json:"stream_version,omitempty"`
	Error         *ErrorDetail `json:"error,omitempty"`
}

// BatchAnswer is the body of a 200 answer to POST /v1/events:batch: one result per
// submission, in the order sent.
type BatchAnswer struct {
	Results []BatchResult `json:"results"`
}
