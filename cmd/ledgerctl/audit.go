package main

import (
	"errors"
	"fmt"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/spf13/cobra"
)

func init() { register(newAuditCmd) }

func newAuditCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Check ledgerd's read-audit log 检查读取审计日志",
	}
	c.AddCommand(&cobra.Command{
		Use:   "verify FILE",
		Short: "Verify the SM3 hash chain of a read-audit log 校验读取审计日志的哈希链",
		Long: `Check every line of a read-audit log (ledgerd --audit-log): its own SM3 hash, its link to
the line before and its sequence number. Exit 0 intact (prints the number of records and
the last hash: compare it with the head ledgerd logged); 1 at the first edited, deleted,
inserted or reordered line, naming it; 2 if the file cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, head, err := auth.VerifyAuditFile(args[0])
			var ae *auth.AuditError
			if errors.As(err, &ae) {
				return tampered(fmt.Errorf("audit verify: %w (审计日志第 %d 行被改动)", ae, ae.Line))
			}
			if err != nil {
				return usage("audit verify: %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "intact: %d records, head %s / 完好：%d 条记录\n", n, head, n)
			return nil
		},
	})
	return c
}
