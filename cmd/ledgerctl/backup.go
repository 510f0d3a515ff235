package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/internal/atomicfile"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/backup"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
	"github.com/spf13/cobra"
)

func init() { register(newBackupCmd) }

// backupResult is what `backup --json` prints.
type backupResult struct {
	Out         string      `json:"out"`
	Entries     uint64      `json:"entries"`
	LastHash    ledger.Hash `json:"last_hash"`
	Root        ledger.Hash `json:"root"`
	RecordSeq   uint64      `json:"record_seq"`
	Files       int         `json:"files"`
	PrivateKeys bool        `json:"private_keys"`
}

type backupFlags struct {
	server, token, dir, store, out, passFile, reason, by string
	privateKeys, asJSON                                  bool
}

func newBackupCmd() *cobra.Command {
	var o backupFlags
	c := &cobra.Command{
		Use:   "backup --out FILE (--server URL [--data DIR] | --data DIR [--store URL])",
		Short: "Write an encrypted backup of the whole ledger, recorded as an act 备份账本（加密，并记录在账本中）",
		Long: `Write one encrypted archive (aba-ledger-backup/v1) of the ledger: every entry as sealed,
the stored and published checkpoints, the public keys, the access files (hashed tokens,
the read-audit log) and, only with --with-private-keys, the private keys in DIR/keys.

The backup is recorded first, as ledger.backup_taken.v1 signed by the ledger key, and the
archive holds that record. Online: --server URL asks the running ledgerd (embedded store)
to record it and send a consistent copy taken after it (POST /v1/backups; a token of an
authority or security_officer, --token or LEDGER_TOKEN); --data DIR beside it adds what
only the machine holds (access files, private keys). Offline or on PostgreSQL: --data DIR
[--store URL] records it with the ledger key in DIR/keys and copies the log up to the head
it then sees (PostgreSQL may keep taking appends meanwhile).

The passphrase comes from --passphrase-file or LEDGER_BACKUP_PASSPHRASE, never from the
command line; at least 12 bytes. FILE must not exist; it appears only once complete.

Exit 0: written. Exit 2: usage, I/O or HTTP error (one line); no archive is left behind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := c.Flags()
	f.StringVar(&o.out, "out", "", "archive to write (must not exist)")
	f.StringVar(&o.server, "server", "", "running ledgerd on the embedded store, e.g. http://127.0.0.1:8080")
	f.StringVar(&o.token, "token", "", "with --server: bearer token of an authority or security_officer (default $LEDGER_TOKEN)")
	f.StringVar(&o.dir, "data", os.Getenv("LEDGER_DATA"), "ledger data directory (env LEDGER_DATA)")
	storeFlag(f, &o.store)
	f.StringVar(&o.passFile, "passphrase-file", "", "file holding the passphrase (default $LEDGER_BACKUP_PASSPHRASE)")
	f.BoolVar(&o.privateKeys, "with-private-keys", false, "also copy the private keys in DATA/keys (whoever opens the archive can sign as the ledger)")
	f.StringVar(&o.reason, "reason", "scheduled backup 例行备份", "why the backup is taken (recorded)")
	f.StringVar(&o.by, "by", defaultExporter(), "without --server: the person taking the backup (recorded); with --server, the token's person")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object on standard output")
	return c
}

func (o *backupFlags) run(cmd *cobra.Command) error {
	switch {
	case o.out == "":
		return usage("backup: --out FILE is required (需要 --out 参数)")
	case o.server == "" && o.dir == "":
		return usage("backup: --server URL or --data DIR is required (需要 --server 或 --data 参数)")
	case o.server != "" && o.store != "":
		return usage("backup: --store does not apply with --server: the server reads its own store (--server 与 --store 只能选一)")
	case o.privateKeys && o.dir == "":
		return usage("backup: --with-private-keys needs --data DIR: the keys are read from DIR/keys, never sent by the server (私钥只从本机数据目录读取)")
	case o.server == "" && isSnapshot(o.dir):
		return usage("backup: %s is a snapshot: a backup is recorded under the ledger key, which a snapshot never holds; use --server (快照不能备份)", o.dir)
	}
	if _, err := os.Stat(o.out); err == nil {
		return usage("backup: %s already exists; refusing to overwrite (文件已存在)", o.out)
	}
	if fi, err := os.Stat(filepath.Dir(o.out)); err != nil || !fi.IsDir() {
		return usage("backup: directory %s does not exist (目录不存在)", filepath.Dir(o.out))
	}
	pass, err := readPassphrase(o.passFile)
	if err != nil {
		return usage("backup: %v", err)
	}
	var res backupResult
	err = atomicfile.WriteWith(o.out, 0o600, func(w io.Writer) error {
		aw, err := backup.NewWriter(w, pass)
		if err != nil {
			return err
		}
		var m *backup.Manifest
		if o.server != "" {
			m, err = o.fromServer(cmd.Context(), aw)
		} else {
			m, err = o.fromStore(cmd.Context(), aw)
		}
		if err != nil {
			return err
		}
		res = backupResult{Out: o.out, Entries: m.Head.Size, LastHash: m.Head.LastHash, Root: m.Head.Root, RecordSeq: m.RecordSeq, Files: len(m.Files), PrivateKeys: m.PrivateKeys}
		return nil
	})
	if err != nil {
		return usage("backup: %v", err)
	}
	return writeOut(cmd, o.asJSON, res, func(w io.Writer) {
		fmt.Fprintf(w, "backup 备份: %s (%d members 个文件)\n", res.Out, res.Files)
		fmt.Fprintf(w, "entries 记录数: %d, root 根哈希 %s\n", res.Entries, res.Root)
		fmt.Fprintf(w, "recorded 已记录: entry %d (%s)\n", res.RecordSeq, backup.TypeTaken)
		if res.PrivateKeys {
			fmt.Fprintln(w, "private keys 私钥: included 已包含 — keep the archive and its passphrase apart 备份与口令须分开保管")
		}
	})
}

// readPassphrase reads the backup passphrase from a file or LEDGER_BACKUP_PASSPHRASE;
// never from a flag value, which other users of the machine can read in the process
// list.
func readPassphrase(file string) ([]byte, error) {
	var p []byte
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase file: %w", err)
		}
		p = []byte(strings.TrimRight(string(b), "\r\n"))
	} else {
		p = []byte(os.Getenv("LEDGER_BACKUP_PASSPHRASE"))
	}
	if len(p) == 0 {
		return nil, errors.New("no passphrase: give --passphrase-file FILE or set LEDGER_BACKUP_PASSPHRASE (未提供口令)")
	}
	if len(p) < 12 {
		return nil, fmt.Errorf("the passphrase is %d bytes; at least 12 are required (口令至少 12 字节)", len(p))
	}
	return p, nil
}

// fromServer records the backup on a running ledgerd and archives the snapshot it sends,
// plus the machine's own files from --data.
func (o *backupFlags) fromServer(ctx context.Context, aw *backup.Writer) (*backup.Manifest, error) {
	body, seq, err := ledgerd(o.server, o.token).Backup(ctx, client.BackupRequest{Reason: o.reason, PrivateKeys: o.privateKeys})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.server, err)
	}
	defer body.Close()
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(o.out)), ".backup-snapshot-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	sm, err := unpackSnapshot(body, tmp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.server, err)
	}
	st, err := datadir.OpenStore(tmp)
	if err != nil {
		return nil, fmt.Errorf("opening the snapshot: %w", err)
	}
	defer st.Close()
	head, err := backup.WriteLog(ctx, aw, st, sm.Size)
	if err != nil {
		return nil, err
	}
	if head.LastHash != sm.LastHash || seq >= head.Size {
		return nil, fmt.Errorf("the snapshot (size %d, last hash %s) is not the one announced (%s) or misses the record at %d", head.Size, head.LastHash, sm.LastHash, seq)
	}
	if err := aw.AddDir(tmp, backup.DirOptions{Checkpoints: true, MaxSize: head.Size, PublicKeys: true}); err != nil {
		return nil, err
	}
	if o.dir != "" {
		if err := aw.AddDir(o.dir, backup.DirOptions{PublicKeys: true, PrivateKeys: o.privateKeys, Access: true}); err != nil {
			return nil, err
		}
	}
	return aw.Close(backup.Manifest{Origin: sm.Origin, Source: storeurl.Bolt, Head: head, RecordSeq: seq, PrivateKeys: o.privateKeys})
}

// fromStore records the backup with the ledger key of --data and copies the log from
// the store up to the head it sees after the record.
func (o *backupFlags) fromStore(ctx context.Context, aw *backup.Writer) (*backup.Manifest, error) {
	lk, err := datadir.LedgerKey(o.dir)
	if err != nil {
		return nil, err
	}
	st, err := openLedgerStore(ctx, o.dir, o.store)
	if err != nil {
		return nil, fmt.Errorf("%w (is ledgerd running on it? use --server 账本是否正在运行？)", err)
	}
	defer st.Close()
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: o.dir}.Checkpoints())
	if err != nil {
		return nil, err
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, Publisher: pub, CheckpointEvery: -1})
	if err != nil {
		return nil, fmt.Errorf("the ledger refuses to open: %w", err)
	}
	seq, err := backup.Record(ctx, l, lk, backup.Request{By: o.by, Reason: o.reason, PrivateKeys: o.privateKeys})
	if err == nil {
		_, err = l.Checkpoint(ctx)
	}
	origin := l.Origin()
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	h, err := st.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the head: %w", err)
	}
	head, err := backup.WriteLog(ctx, aw, st, h.Size)
	if err != nil {
		return nil, err
	}
	if err := aw.AddDir(o.dir, backup.DirOptions{Checkpoints: true, MaxSize: head.Size, PublicKeys: true, PrivateKeys: o.privateKeys, Access: true}); err != nil {
		return nil, err
	}
	kind := storeurl.Kind(o.store)
	if kind == "" {
		kind = storeurl.Bolt
	}
	return aw.Close(backup.Manifest{Origin: origin, Source: kind, Head: head, RecordSeq: seq, PrivateKeys: o.privateKeys})
}
