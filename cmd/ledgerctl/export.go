package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/internal/atomicfile"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/spf13/cobra"
)

func init() { register(newExportCmd) }

// parseSeqRange reads "A-B", "A-", "-B" or "N" (inclusive).
func parseSeqRange(s string) (from, to *uint64, err error) {
	num := func(v string) (*uint64, error) {
		if v == "" {
			return nil, nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a position", v)
		}
		return &n, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if from, err = num(a); err != nil {
		return nil, nil, err
	}
	if !isRange {
		return from, from, nil
	}
	if to, err = num(b); err != nil {
		return nil, nil, err
	}
	if from == nil && to == nil {
		return nil, nil, errors.New("empty range")
	}
	return from, to, nil
}

func defaultExporter() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}

func newExportCmd() *cobra.Command {
	var (
		dir, out, stream, seqs, reason, by string
		sr                                 bundle.ServerRequest
		store, server, token               string
	)
	c := &cobra.Command{
		Use:   "export (--data DIR [--store URL] | --server URL [--token T]) --out FILE [--stream S] [--seq A-B] [--reason TEXT] [--by PERSON]",
		Short: "Write an evidence bundle that verifies offline 导出可离线验证的证据包",
		Long: `Write an evidence bundle (JSON, docs/formats.md): the selected entries, the key
registry acts before them, their inclusion proofs, a signed checkpoint and the public
keys; "ledgerctl verify-bundle FILE" checks it with no server and no database.

Exporting copies audit data out of the ledger (Art. 37(5)), so it is itself recorded
first: a ledger.bundle_exported.v1 event, signed by the ledger key, naming who exported
(--by, default the OS user), why (--reason), what was selected and how many entries it
held. The bundle carries that event. Selection: --stream S (every entry of the stream),
--seq A-B (inclusive; "A-" and "-B" are open), both (their intersection), or neither
(the whole log).

With --data DIR the ledger must not be running on DIR (the store file is locked).
With --server URL the running ledgerd builds the bundle and records the export itself
(POST /v1/bundles): the exporting person is the one the token (--token or LEDGER_TOKEN)
was issued to, so --by is refused; the token's role must be authority or
security_officer. A selection of more entries than the server allows
(ledgerd --bundle-max-entries, default 10,000) is refused: split it by --seq.

Exit 0: written. Exit 1: the ledger refused to open because its store disagrees with
the published checkpoints. Exit 2: usage or I/O error; nothing is recorded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			if server != "" && (flags.Changed("data") || flags.Changed("store")) {
				return usage("export: give either --server URL or --data DIR, not both (--server 与 --data 只能选一)")
			}
			if server != "" && flags.Changed("by") {
				return usage("export: --by does not apply with --server: the server records the person its token was issued to (服务端以令牌持有人为导出人)")
			}
			if (dir == "" && server == "") || out == "" {
				return usage("export: --data DIR (or --server URL) and --out FILE are required (需要 --data 或 --server 与 --out 参数)")
			}
			req := bundle.Request{Selection: bundle.Selection{Stream: stream}, By: by, Reason: reason}
			if seqs != "" {
				var err error
				if req.Selection.From, req.Selection.To, err = parseSeqRange(seqs); err != nil {
					return usage("export: --seq %s: %v (格式 A-B)", seqs, err)
				}
			}
			if err := checkOut(out); err != nil {
				return err
			}
			if sr.SearchFilters() != nil && server == "" {
				return usage("export: the search filters (--institution, --person, --resource, --type, --from-day, --to-day) need --server: the running ledger's index finds the acts (检索条件需配合 --server 使用)")
			}
			var b *bundle.Bundle
			var err error
			if server != "" {
				sr.Selection, sr.Reason = req.Selection, reason
				if b, by, err = exportFromServer(cmd.Context(), server, token, sr); err != nil {
					return usage("export: %v", err)
				}
			} else if b, err = exportLocal(cmd.Context(), dir, store, req); err != nil {
				return err
			}
			if err := writeBundleFile(out, b); err != nil {
				return usage("export: %v", err)
			}
			printExported(cmd.OutOrStdout(), b, out, by)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "data", os.Getenv("LEDGER_DATA"), "ledger data directory (env LEDGER_DATA)")
	storeFlag(f, &store)
	f.StringVar(&out, "out", "", "bundle file to write (must not exist)")
	f.StringVar(&stream, "stream", "", "export every entry of this stream")
	f.StringVar(&seqs, "seq", "", "export positions A-B (inclusive)")
	f.StringVar(&sr.Institution, "institution", "", "with --server: export what a search finds (ledgerctl search): acts of this institution")
	f.StringVar(&sr.Person, "person", "", "with --server: … by or naming this official")
	f.StringVar(&sr.Resource, "resource", "", "with --server: … on or naming this resource")
	f.StringVar(&sr.Type, "type", "", "with --server: … of this event type")
	f.StringVar(&sr.FromDay, "from-day", "", "with --server: … on or after this day (YYYY-MM-DD)")
	f.StringVar(&sr.ToDay, "to-day", "", "with --server: … on or before this day (YYYY-MM-DD)")
	f.StringVar(&reason, "reason", "evidence export (no reason given 未说明理由)", "why the evidence is exported: case, request, legal basis")
	f.StringVar(&by, "by", defaultExporter(), "identifier of the person exporting (recorded as the event's actor.person; with --server, the token's person)")
	f.StringVar(&server, "server", "", "export from this running ledgerd (POST /v1/bundles) instead of --data, e.g. http://127.0.0.1:8080")
	f.StringVar(&token, "token", "", "with --server: bearer token of an authority or security_officer (default $LEDGER_TOKEN)")
	return c
}

// checkOut refuses an output file that exists or whose directory does not.
func checkOut(out string) error {
	if _, err := os.Stat(out); err == nil {
		return usage("export: %s already exists; refusing to overwrite (文件已存在)", out)
	}
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		return usage("export: directory %s does not exist (目录不存在)", filepath.Dir(out))
	}
	return nil
}

// exportLocal opens the ledger in dir (not running), records the export under the
// ledger key and builds the bundle.
func exportLocal(ctx context.Context, dir, store string, req bundle.Request) (*bundle.Bundle, error) {
	if isSnapshot(dir) {
		return nil, usage("export: %s is a snapshot: an export is recorded in the ledger under the ledger key (第三十七条), which a snapshot never holds; "+
			"use prove --data on it, or export from the running ledger with --server URL (快照不能导出证据包：导出须以账本密钥记录在账本中；请用 --server 从运行中的账本导出)", dir)
	}
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		return nil, usage("export: %v", err)
	}
	st, err := openLedgerStore(ctx, dir, store)
	if err != nil {
		return nil, usage("export: %v (is ledgerd running on it? 账本是否正在运行？)", err)
	}
	defer st.Close()
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints())
	if err != nil {
		return nil, usage("export: %v", err)
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, Publisher: pub, CheckpointEvery: -1})
	var ce *ledger.ChainError
	if errors.As(err, &ce) {
		return nil, tampered(fmt.Errorf("export: the ledger refuses to open: %w", ce))
	}
	if err != nil {
		return nil, usage("export: %v", err)
	}
	b, err := bundle.Export(ctx, l, lk, req)
	if cerr := l.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, usage("export: %v", err)
	}
	return b, nil
}

func printExported(w io.Writer, b *bundle.Bundle, out, by string) {
	fmt.Fprintf(w, "exported 已导出: %d entries (with registry acts) to %s\n", len(b.Entries), out)
	fmt.Fprintf(w, "recorded 已记录: the export is entry %d (%s), by %s\n", b.ExportSeq, bundle.TypeExported, by)
	if lines := strings.SplitN(b.Checkpoint, "\n", 3); len(lines) > 1 {
		fmt.Fprintf(w, "checkpoint 检查点: %s\n", lines[1])
	}
}

// exportFromServer asks a running ledgerd to export (POST /v1/bundles) and returns the
// bundle it answered with and the person it recorded as the exporter.
func exportFromServer(ctx context.Context, server, token string, sr bundle.ServerRequest) (*bundle.Bundle, string, error) {
	b, err := ledgerd(server, token).ExportBundle(ctx, sr)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", server, err)
	}
	return b, exporterOf(b), nil
}

// exporterOf is the actor.person of the bundle's export event ("" if it cannot be read).
func exporterOf(b *bundle.Bundle) string {
	for _, e := range b.Entries {
		if e.Seq != b.ExportSeq {
			continue
		}
		if en, err := ledger.ParseEntry(e.Entry); err == nil {
			return en.Submission.Actor.Person
		}
	}
	return ""
}

// writeBundleFile writes the bundle to a temporary file beside out, fsyncs it and
// renames it into place, so a reader never sees half a bundle.
func writeBundleFile(out string, b *bundle.Bundle) error {
	return atomicfile.WriteWith(out, 0o644, func(w io.Writer) error { return bundle.Write(w, b) })
}
