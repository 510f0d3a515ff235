package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/spf13/cobra"
)

func init() { register(newVerifyCmd) }

// verifyResult is what `verify --json` prints: one object, intact or not.
type verifyResult struct {
	Status      string  `json:"status"` // "intact" or "tampered"
	Entries     uint64  `json:"entries,omitempty"`
	Checkpoints int     `json:"checkpoints,omitempty"`
	Published   int     `json:"published_checkpoints"`
	Root        string  `json:"root,omitempty"`
	ElapsedS    float64 `json:"elapsed_s"`
	PerS        float64 `json:"entries_per_s,omitempty"`
	Seq         *uint64 `json:"seq,omitempty"`
	Reason      string  `json:"reason,omitempty"`
	Detail      string  `json:"detail,omitempty"`
}

// verifyFlags are verify's flags.
type verifyFlags struct {
	dir, ledgerPub, rootPub string
	store                   string
	asJSON, sequential      bool
	workers                 int
}

func newVerifyCmd() *cobra.Command {
	var v verifyFlags
	c := &cobra.Command{
		Use:   "verify --data DIR | --store URL",
		Short: "Check every hash, signature, chain link, tree root and checkpoint 校验账本完整性",
		Long: `Re-check the whole ledger from its stored bytes: every entry hash and canonical form,
the chain links, positions and stream versions, the key registry rule in force at each
position, every actor's SM2 signature, the Merkle leaves and root, and every checkpoint:
those stored in the ledger and those published as files in DIR/checkpoints/.

Pin the genesis keys with --ledger-pub and --root-pub: keys taken from the log itself
prove that the log is consistent, not whose it is. --sequential checks one entry at a
time with the reference verifier (ledger.VerifySequential): the same findings, slower,
and short enough for an auditor to read whole.

Exit 0: intact. Exit 1: tampered; the first bad position is named as
"tampered: seq N: <reason>: <detail>". Exit 2: usage or I/O error, or a damaged store
file (cut short, zero-filled, overwritten, bytes appended: "DIR/ledger.db is damaged
(…)"), which is no position's tampering: restore the file from a backup.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return v.run(cmd) },
	}
	f := c.Flags()
	f.StringVar(&v.dir, "data", os.Getenv("LEDGER_DATA"), "ledger data directory (env LEDGER_DATA)")
	storeFlag(f, &v.store)
	f.BoolVar(&v.asJSON, "json", false, "print one JSON object on standard output")
	f.StringVar(&v.ledgerPub, "ledger-pub", "", "PKIX PEM file of the ledger key the genesis must name")
	f.StringVar(&v.rootPub, "root-pub", "", "PKIX PEM file of the root key the genesis must name")
	f.IntVar(&v.workers, "workers", 0, "goroutines checking signatures (default: all cores)")
	f.BoolVar(&v.sequential, "sequential", false, "use the sequential reference verifier (one core, one entry at a time)")
	return c
}

// options reads the pinned keys and the published checkpoints.
func (v *verifyFlags) options() (ledger.VerifyOptions, error) {
	opts := ledger.VerifyOptions{Workers: v.workers}
	var err error
	if v.ledgerPub != "" {
		if opts.LedgerKey, err = crypto.ReadPublicKeyFile(v.ledgerPub); err != nil {
			return opts, usage("verify: --ledger-pub: %v", err)
		}
	}
	if v.rootPub != "" {
		if opts.RootKey, err = crypto.ReadPublicKeyFile(v.rootPub); err != nil {
			return opts, usage("verify: --root-pub: %v", err)
		}
	}
	if v.dir != "" {
		if opts.Checkpoints, err = readPublishedCheckpoints(datadir.Paths{Dir: v.dir}.Checkpoints()); err != nil {
			return opts, usage("verify: %v", err)
		}
	}
	return opts, nil
}

func (v *verifyFlags) run(cmd *cobra.Command) error {
	if v.dir == "" && v.store == "" {
		return usage("verify: --data DIR or --store URL is required (需要 --data 或 --store 参数)")
	}
	opts, err := v.options()
	if err != nil {
		return err
	}
	st, err := openLedgerStore(cmd.Context(), v.dir, v.store)
	if err != nil {
		return usage("verify: %v", err)
	}
	defer st.Close()
	update, finish := progress(cmd, "verifying 校验中", "entries")
	opts.Progress = update
	verify := ledger.Verify
	if v.sequential {
		verify = ledger.VerifySequential
	}
	rep, verr := verify(cmd.Context(), st, opts)
	finish()
	res := verifyResult{Status: "intact", Entries: rep.Entries, Checkpoints: rep.Checkpoints,
		Published: len(opts.Checkpoints), ElapsedS: rep.Elapsed.Seconds()}
	var ce *ledger.ChainError
	switch {
	case verr == nil:
		// The entries verify; bbolt's own check has the last word on the file's
		// structure (pages no entry read touches: indexes, free pages).
		if c, ok := st.(interface{ Check() error }); ok {
			if err := c.Check(); err != nil {
				return usage("verify: %v", err)
			}
		}
		res.Root = rep.Root.String()
		if s := rep.Elapsed.Seconds(); s > 0 {
			res.PerS = float64(rep.Entries) / s
		}
	case errors.As(verr, &ce):
		res.Status, res.Seq, res.Reason, res.Detail = "tampered", &ce.Seq, ce.Reason, ce.Detail
	default:
		return usage("verify: %v", verr)
	}
	out := cmd.OutOrStdout()
	if v.asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return usage("verify: writing output: %v", err)
		}
	} else {
		printVerify(out, res)
	}
	if ce != nil {
		return tampered(fmt.Errorf("tampered: %w", ce))
	}
	return nil
}

func printVerify(w io.Writer, r verifyResult) {
	if r.Status != "intact" {
		fmt.Fprintf(w, "tampered: seq %d: %s: %s\n", *r.Seq, r.Reason, r.Detail)
		fmt.Fprintf(w, "已被篡改：第 %d 条记录：%s：%s\n", *r.Seq, r.Reason, r.Detail)
		return
	}
	fmt.Fprintf(w, "intact 完好\n")
	fmt.Fprintf(w, "entries 记录数:        %d\n", r.Entries)
	fmt.Fprintf(w, "checkpoints 检查点:    %d (%d published 已发布)\n", r.Checkpoints, r.Published)
	fmt.Fprintf(w, "root 根哈希:           %s\n", r.Root)
	fmt.Fprintf(w, "rate 速率:             %.0f entries/s (%.2fs)\n", r.PerS, r.ElapsedS)
}

// readPublishedCheckpoints reads every regular file in dir as one signed checkpoint note.
// A missing directory means nothing was published; hidden files are skipped, so a
// publisher can write a temporary file and rename it.
func readPublishedCheckpoints(dir string) ([][]byte, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading published checkpoints: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("reading published checkpoint: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}
