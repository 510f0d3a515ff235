package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/spf13/cobra"
)

func init() { register(newVerifyBundleCmd) }

// bundleResult is what `verify-bundle --json` prints.
type bundleResult struct {
	Status    string             `json:"status"` // "intact" or "tampered"
	Origin    string             `json:"origin,omitempty"`
	Size      uint64             `json:"checkpoint_size,omitempty"`
	Root      string             `json:"root,omitempty"`
	LedgerKey string             `json:"ledger_key,omitempty"`
	Pinned    bool               `json:"ledger_key_pinned"`
	Cosigners []string           `json:"cosigners,omitempty"`
	Entries   int                `json:"entries,omitempty"`
	Selected  int                `json:"selected,omitempty"`
	Export    *bundle.ExportInfo `json:"export,omitempty"`
	Field     string             `json:"field,omitempty"`
	Reason    string             `json:"reason,omitempty"`
	Detail    string             `json:"detail,omitempty"`
}

func newVerifyBundleCmd() *cobra.Command {
	var (
		ledgerPub string
		asJSON    bool
	)
	c := &cobra.Command{
		Use:   "verify-bundle FILE",
		Short: "Verify an evidence bundle offline 离线校验证据包",
		Long: `Verify an evidence bundle with no server and no database: every entry's SM3 hash
and canonical form, its inclusion proof against the signed checkpoint, the checkpoint's
SM2 signature (and any witness cosignatures), the key registry replayed from the genesis,
each actor's SM2 signature, and the recorded export act's completeness claims.

Pin the ledger key with --ledger-pub: without it the bundle proves it is consistent with
the ledger key it names (printed), which you must compare with the published one.

Exit 0: intact. Exit 1: tampered (the field at fault is named). Exit 2: usage or I/O
error, or not a bundle.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts bundle.VerifyOptions
			if ledgerPub != "" {
				k, err := crypto.ReadPublicKeyFile(ledgerPub)
				if err != nil {
					return usage("verify-bundle: --ledger-pub: %v", err)
				}
				opts.LedgerKey = k
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usage("verify-bundle: %v", err)
			}
			defer f.Close()
			b, err := bundle.Read(f)
			var rep *bundle.Report
			if err == nil {
				rep, err = bundle.Verify(b, opts)
			}
			var fd *bundle.Finding
			res := bundleResult{Status: "intact", Pinned: opts.LedgerKey != nil}
			switch {
			case err == nil:
				res.Origin, res.Size, res.Root, res.LedgerKey = rep.Origin, rep.Size, rep.Root.String(), rep.LedgerKey
				res.Cosigners, res.Entries, res.Selected, res.Export = rep.Cosigners, rep.Entries, len(rep.Selected), &rep.Export
			case errors.As(err, &fd):
				res.Status, res.Field, res.Reason, res.Detail = "tampered", fd.Field, fd.Reason, fd.Detail
			default:
				return usage("verify-bundle: %v", err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetEscapeHTML(false)
				if err := enc.Encode(res); err != nil {
					return usage("verify-bundle: %v", err)
				}
			} else {
				printBundle(cmd.OutOrStdout(), res)
			}
			if fd != nil {
				return tampered(fmt.Errorf("tampered: %w", fd))
			}
			return nil
		},
	}
	c.Flags().StringVar(&ledgerPub, "ledger-pub", "", "PKIX PEM file of the ledger key the bundle must be signed by")
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object on standard output")
	return c
}

func printBundle(w io.Writer, r bundleResult) {
	if r.Status != "intact" {
		fmt.Fprintf(w, "tampered: %s: %s: %s\n", r.Field, r.Reason, r.Detail)
		fmt.Fprintf(w, "已被篡改：%s：%s：%s\n", r.Field, r.Reason, r.Detail)
		return
	}
	fmt.Fprintf(w, "intact 完好\n")
	fmt.Fprintf(w, "log 日志:              %s\n", r.Origin)
	fmt.Fprintf(w, "checkpoint 检查点:     size %d, root %s\n", r.Size, r.Root)
	pin := "NOT pinned: compare with the published ledger key 未固定：请与公布的账本公钥核对"
	if r.Pinned {
		pin = "pinned 已固定"
	}
	fmt.Fprintf(w, "ledger key 账本公钥:   %s (%s)\n", r.LedgerKey, pin)
	if len(r.Cosigners) > 0 {
		fmt.Fprintf(w, "cosigned by 见证联署:  %s\n", strings.Join(r.Cosigners, ", "))
	}
	fmt.Fprintf(w, "entries 记录:          %d (%d selected 选中)\n", r.Entries, r.Selected)
	e := r.Export
	fmt.Fprintf(w, "exported 导出:         seq %d at %s by %s (%s): %s\n", e.Seq, e.At, e.By, e.Institution, e.Selection)
	fmt.Fprintf(w, "reason 理由:           %s\n", e.Reason)
}
