package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aba-prefecture/dataledger/internal/atomicfile"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/backup"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
	"github.com/spf13/cobra"
)

func init() { register(newRestoreCmd) }

// restoreResult is what `restore --json` prints.
type restoreResult struct {
	Dir         string      `json:"dir"`
	Store       string      `json:"store,omitempty"`
	Entries     uint64      `json:"entries"`
	LastHash    ledger.Hash `json:"last_hash"`
	Root        ledger.Hash `json:"root"`
	Checkpoints int         `json:"published_checkpoints"`
	PrivateKeys bool        `json:"private_keys"`
	Origin      string      `json:"origin"`
	CreatedAt   string      `json:"backup_created_at"`
}

type restoreFlags struct {
	dir, store, passFile string
	asJSON               bool
}

func newRestoreCmd() *cobra.Command {
	var o restoreFlags
	c := &cobra.Command{
		Use:   "restore ARCHIVE --data DIR [--store URL]",
		Short: "Restore a backup into an empty data directory or database 从备份恢复账本（仅限空目录或空库）",
		Long: `Restore an aba-ledger-backup/v1 archive (ledgerctl backup) into an empty data directory,
and, with --store postgres://…, the log into an empty PostgreSQL database (DIR then holds the
keys, published checkpoints and access files). An archive of either store restores into
either.

DIR must not exist or be empty, and the database must hold no ledger: anything else is
refused with nothing written. The archive is decrypted (passphrase from --passphrase-file
or LEDGER_BACKUP_PASSPHRASE) into a directory beside DIR, every member is checked against
the manifest's SM3 digests, the entries are appended as they were sealed, and the result
must show the manifest's head (size, last hash, Merkle root) and verify in full against
the published checkpoints it carries before DIR appears.

Exit 0: restored. Exit 1: the archive's log does not verify. Exit 2: usage, I/O error,
wrong passphrase, altered or cut-short archive (one line).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	f := c.Flags()
	f.StringVar(&o.dir, "data", "", "data directory to create (must not exist, or be empty)")
	f.StringVar(&o.store, "store", "", "restore the log into this empty store (postgres://…) instead of DIR/ledger.db")
	f.StringVar(&o.passFile, "passphrase-file", "", "file holding the passphrase (default $LEDGER_BACKUP_PASSPHRASE)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object on standard output")
	return c
}

func (o *restoreFlags) run(cmd *cobra.Command, archive string) error {
	if o.dir == "" {
		return usage("restore: --data DIR is required (需要 --data 参数)")
	}
	if k := storeurl.Kind(o.store); o.store != "" && k != storeurl.Postgres && k != storeurl.Bolt {
		return usage("restore: --store %s: restore writes into postgres://… or bolt:PATH (仅支持 PostgreSQL 或 bolt)", storeurl.Redact(o.store))
	}
	if err := checkSnapshotTarget(o.dir); err != nil {
		return usage("restore: %v", err)
	}
	pass, err := readPassphrase(o.passFile)
	if err != nil {
		return usage("restore: %v", err)
	}
	f, err := os.Open(archive)
	if err != nil {
		return usage("restore: %v", err)
	}
	defer f.Close()
	ctx := cmd.Context()
	st, err := o.openTarget(ctx)
	if err != nil {
		return usage("restore: %v", err)
	}
	clean := filepath.Clean(o.dir)
	tmp, err := os.MkdirTemp(filepath.Dir(clean), "."+filepath.Base(clean)+".restore-*")
	if err != nil {
		if st != nil {
			st.Close()
		}
		return usage("restore: %v", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	res, err := o.restoreInto(ctx, f, pass, tmp, st)
	if st != nil {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err == nil {
		err = placeDir(tmp, clean)
	}
	if err != nil {
		var ce *ledger.ChainError
		if errors.As(err, &ce) {
			return tampered(fmt.Errorf("restore: %w", err))
		}
		if o.store != "" {
			return usage("restore: %v (the database may hold part of the log: drop and recreate it before retrying 数据库可能已写入部分记录，请重建后重试)", err)
		}
		return usage("restore: %v", err)
	}
	res.Dir, res.Store = o.dir, storeurl.Redact(o.store)
	return writeOut(cmd, o.asJSON, res, func(w io.Writer) {
		fmt.Fprintf(w, "restored 已恢复: %s (%d entries 条记录, backup of 备份时间 %s)\n", o.dir, res.Entries, res.CreatedAt)
		fmt.Fprintf(w, "head 账本头: size %d, root %s\n", res.Entries, res.Root)
		fmt.Fprintf(w, "verified 已验证: every entry, against %d published checkpoints 个已发布检查点\n", res.Checkpoints)
		if !res.PrivateKeys {
			fmt.Fprintln(w, "note 注意: no private keys in the backup; put keys/ledger.key back before starting ledgerd 备份不含私钥，启动前请放回账本密钥")
		}
	})
}

// openTarget opens the store to restore into and refuses one that holds anything: no
// entry and no stored checkpoint. The embedded target is created later, inside the
// temporary directory, so that DIR appears only once complete.
func (o *restoreFlags) openTarget(ctx context.Context) (ledger.Store, error) {
	if o.store == "" {
		return nil, nil
	}
	st, err := storeurl.Open(ctx, o.store, storeurl.Options{PGMaxConns: 4})
	if err != nil {
		return nil, err
	}
	h, err := st.Head(ctx)
	if err == nil && h.Size > 0 {
		err = fmt.Errorf("%s already holds a ledger of %d entries; restore writes only into an empty database (目标数据库已有账本，拒绝覆盖)", storeurl.Redact(o.store), h.Size)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// restoreInto extracts the archive into tmp, appends its log to st (or to a new
// tmp/ledger.db when st is nil), checks the head and verifies the whole log.
func (o *restoreFlags) restoreInto(ctx context.Context, r io.Reader, pass []byte, tmp string, st ledger.Store) (restoreResult, error) {
	m, err := backup.Extract(r, pass, tmp)
	if err != nil {
		return restoreResult{}, err
	}
	if st == nil {
		bs, err := boltstore.Open(datadir.Paths{Dir: tmp}.Store())
		if err != nil {
			return restoreResult{}, err
		}
		defer bs.Close()
		st = bs
	}
	head, err := backup.RestoreLog(ctx, st, tmp, m)
	if err != nil {
		return restoreResult{}, err
	}
	published, err := backup.PublishedCheckpoints(tmp, m)
	if err != nil {
		return restoreResult{}, err
	}
	if _, err := ledger.Verify(ctx, st, ledger.VerifyOptions{Checkpoints: published}); err != nil {
		return restoreResult{}, fmt.Errorf("verifying the restored log: %w", err)
	}
	if err := backup.RemoveLog(tmp); err != nil {
		return restoreResult{}, err
	}
	return restoreResult{Entries: head.Size, LastHash: head.LastHash, Root: head.Root, Checkpoints: len(published),
		PrivateKeys: m.PrivateKeys, Origin: m.Origin, CreatedAt: m.CreatedAt}, nil
}

// placeDir renames the finished temporary directory to dir (absent or empty).
func placeDir(tmp, dir string) error {
	if err := os.Chmod(tmp, 0o700); err != nil {
		return err
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(dir))
}
