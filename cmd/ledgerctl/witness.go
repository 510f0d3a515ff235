package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/witness"
	"github.com/spf13/cobra"
)

func init() { register(newWitnessCmd) }

func newWitnessCmd() *cobra.Command {
	var (
		keyFile, state, server, logPub, name string
	)
	c := &cobra.Command{
		Use:   "witness --key K --state F --server URL --log-pub LEDGER.pub [--name NAME]",
		Short: "Check that the ledger only grows and cosign its checkpoint 见证并联署检查点",
		Long: `Run by a second party (another bureau, an auditor): fetch the ledger's latest
checkpoint and the consistency proof from the size this witness last cosigned, check the
ledger's SM2 signature (with --log-pub, the ledger's public key obtained out of band) and
the proof, record the new size and root in the state file F, cosign (tlog-cosignature/v1
with SM2, docs/formats.md) and send the cosignature to the ledger, which keeps it if it
was configured with "ledgerd --witness NAME=<this key's .pub>". Run it periodically.

Exit 0: cosigned. Exit 1: the ledger's log is not consistent with what this witness
cosigned before (rolled back or forked) or its checkpoint is not signed by --log-pub.
Exit 2: usage, network or I/O error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyFile == "" || state == "" || server == "" || logPub == "" {
				return usage("witness: --key, --state, --server and --log-pub are required (需要 --key、--state、--server、--log-pub 参数)")
			}
			k, err := crypto.ReadPrivateKeyFile(keyFile)
			if err != nil {
				return usage("witness: --key: %v", err)
			}
			lk, err := crypto.ReadPublicKeyFile(logPub)
			if err != nil {
				return usage("witness: --log-pub: %v", err)
			}
			if name == "" {
				name = "witness-" + k.Public().ID()[:8]
			}
			ctx := cmd.Context()
			lc := ledgerd(server, "")
			text, err := lc.Checkpoint(ctx)
			if err != nil {
				return usage("witness: %s: %v", server, err)
			}
			origin, _, _ := strings.Cut(string(text), "\n")
			w, err := witness.New(name, k, state, witness.Log{Origin: origin, Key: lk})
			if err != nil {
				return usage("witness: %v", err)
			}
			line, prev, err := w.Cosign(ctx, text, func(from, to uint64) ([]ledger.Hash, error) {
				p, err := lc.ConsistencyProof(ctx, from, &to)
				if err != nil {
					return nil, err
				}
				return p.Proof, nil
			})
			var ce *witness.ConflictError
			switch {
			case err == nil:
			case errors.Is(err, witness.ErrBadProof), errors.Is(err, witness.ErrBadSignature):
				return tampered(fmt.Errorf("witness: %w", err))
			case errors.As(err, &ce):
				return usage("witness: %v (another process uses %s?)", err, state)
			default:
				return usage("witness: %v", err)
			}
			cosigned, _ := ledger.MergeSignatures(text, [][]byte{line})
			accepted, err := lc.Cosign(ctx, cosigned)
			if err != nil {
				return usage("witness: the ledger refused the cosignature (the witness state is saved): %v", err)
			}
			c, _ := ledger.ParseCheckpointBody(strings.SplitN(string(text), "\n\n", 2)[0] + "\n")
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "cosigned 已联署: %s size %d (previously %d), root %s, as %s\n", origin, c.Size, prev.Size, c.Root, name)
			fmt.Fprintf(out, "accepted by the ledger 账本已接收: %s\n", strings.Join(accepted, ", "))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&keyFile, "key", os.Getenv("WITNESS_KEY"), "the witness's SM2 private key (PKCS#8 PEM, mode 0600) (env WITNESS_KEY)")
	f.StringVar(&state, "state", os.Getenv("WITNESS_STATE"), "the witness's state file: last cosigned size and root per log (env WITNESS_STATE)")
	f.StringVar(&server, "server", os.Getenv("LEDGER_SERVER"), "ledgerd base URL (env LEDGER_SERVER)")
	f.StringVar(&logPub, "log-pub", "", "the ledger's public key (PKIX PEM), obtained out of band")
	f.StringVar(&name, "name", "", "the witness's name in cosignature lines (default witness-<key id prefix>)")
	return c
}
