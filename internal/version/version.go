// Package version says which build of the ledger is running, for `--version`, the
// ledger_build_info metric and logs: an operator comparing what runs with what was
// released, and an assessor asking which code produced a report, need the same answer.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the release, set at build time:
//
//	go build -ldflags "-X github.com/aba-prefecture/dataledger/internal/version.Version=1.4.0" ./cmd/...
//
// A build without it reports "dev".
var Version = "dev"

// Info is what a build knows about itself.
type Info struct {
	Version   string // the release, or "dev"
	Revision  string // the VCS revision the build was made from, when the build recorded it
	Modified  bool   // the working tree had uncommitted changes
	GoVersion string
}

// Get reads the build's information.
func Get() Info {
	i := Info{Version: Version, GoVersion: runtime.Version(), Revision: "unknown"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				i.Revision = s.Value
			case "vcs.modified":
				i.Modified = s.Value == "true"
			}
		}
	}
	return i
}

// String is the one line --version prints.
func (i Info) String() string {
	rev := i.Revision
	if i.Modified {
		rev += "+modified"
	}
	return fmt.Sprintf("%s (revision %s, %s)", i.Version, rev, i.GoVersion)
}
