// Package backup writes and reads the ledger's backup archive (aba-ledger-backup/v1) and
// carries a log from one store into another through it.
//
// An archive is one file: a clear header line (JSON: the format, SM4-GCM, the Argon2id
// parameters and salt of the passphrase's key) followed by SM4-GCM frames of 64 KiB whose
// plaintext is a tar stream. The tar holds the log as its sealed entries (not a store
// file, so a bbolt ledger restores into PostgreSQL and back), the stored checkpoints,
// the checkpoints published outside the store, public keys, access files and, only when
// asked, private keys; its last member, manifest.json, lists every member with its size
// and SM3 digest and the head the log had (size, last entry hash, Merkle root).
//
// A backup is an act: Record appends ledger.backup_taken.v1 under the ledger key before
// the copy is taken, so the archive holds its own record. Extract refuses an archive
// that does not open with the passphrase, was altered or cut short, holds a name the
// format does not allow, or whose members disagree with the manifest; RestoreLog writes
// only into an empty store and checks that the head it made is the manifest's.
// docs/operations.md ("Backup and restore") is the operator's side.
package backup
