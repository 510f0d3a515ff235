// Package atomicfile writes files so that a reader, or the next start after a crash,
// sees either the old content or the new, never half of one: published checkpoints,
// credentials, subject keys, witness state, read-model snapshots, reports and bundles
// all go through it, so the rule is written once.
//
// A write goes to a temporary file in the same directory (so the rename stays on one
// file system), is fsynced, renamed over the target, and the directory is fsynced, so
// that the new name survives a power loss as well as the new bytes.
package atomicfile
