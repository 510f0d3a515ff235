package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/aba-prefecture/dataledger/ledger"
)

// publisher writes checkpoints outside the store, as DATA/checkpoints/<size>.checkpoint
// (twelve digits, so names sort by size), where `ledgerctl verify` checks them against
// the log: a copy the store cannot rewrite is what catches truncation and rewriting.
// Copy the directory off the machine, or have a witness fetch GET /v1/checkpoint, for the
// same check against an attacker who owns the machine.
type publisher struct {
	dir  string
	log  *slog.Logger
	mu   sync.Mutex
	last uint64
}

// publish writes c if it is newer than the last one written by this process. The file
// is complete or absent: written to a hidden temporary name, synced, renamed, and the
// directory synced, so a crash never leaves a torn checkpoint for verify to trip on.
func (p *publisher) publish(c ledger.Checkpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.Size <= p.last {
		return nil
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("publishing checkpoint: %w", err)
	}
	name := filepath.Join(p.dir, fmt.Sprintf("%012d.checkpoint", c.Size))
	tmp := filepath.Join(p.dir, ".tmp-"+filepath.Base(name))
	if err := writeSynced(tmp, c.Note); err != nil {
		return fmt.Errorf("publishing checkpoint: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("publishing checkpoint: %w", err)
	}
	if d, err := os.Open(p.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	p.last = c.Size
	p.log.Info("published checkpoint", "size", c.Size, "file", name)
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
