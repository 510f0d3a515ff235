package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aba-prefecture/dataledger/internal/bilingual"
	"github.com/aba-prefecture/dataledger/internal/version"
	"github.com/spf13/cobra"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitTampered = 1
	exitUsage    = 2
)

// exitError carries an exit code out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// tampered marks a verification finding (exit 1).
func tampered(err error) error { return &exitError{code: exitTampered, err: err} }

// usage marks bad input (exit 2).
func usage(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// commands are added by each subcommand's file in init, so that files stay independent.
var commands []func() *cobra.Command

func register(c func() *cobra.Command) { commands = append(commands, c) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "ledgerctl",
		Short:         "Operate and verify the Aba public-data audit ledger (阿坝州公共数据审计账本)",
		Version:       version.Get().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		// No command is a usage error (exit 2) with the help, not a silent success.
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usage("no command given: see the list above (请指定子命令，见上方列表)")
		},
	}
	root.SetVersionTemplate("ledgerctl {{.Version}}\n")
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int { return runIO(args, os.Stdout, os.Stderr) }

// runIO is run with its output streams given, so tests can run a subcommand in-process
// and read what it printed. Subcommands write to cmd.OutOrStdout and cmd.ErrOrStderr.
func runIO(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintln(stderr, "ledgerctl:", bilingualLine(err.Error(), code))
	return code
}

// bilingualLine names in Chinese what a failure's exit code means (see
// internal/bilingual).
func bilingualLine(msg string, code int) string {
	if code == exitTampered {
		return bilingual.Line(msg, "校验未通过：记录、证明或检查点与签名不符")
	}
	return bilingual.Line(msg, "参数、输入或运行环境有误，详见 --help")
}
