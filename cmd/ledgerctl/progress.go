package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// progress returns a progress callback drawing a bar on standard error, and a function
// that clears it; both are no-ops unless standard error is a terminal, so that logs and
// CI output stay clean.
func progress(cmd *cobra.Command, desc, unit string) (update func(done, total uint64), finish func()) {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return func(done, total uint64) {
		bar.ChangeMax64(int64(total))
		_ = bar.Set64(int64(done))
	}, func() { _ = bar.Finish() }
}
