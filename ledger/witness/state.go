package witness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/aba-prefecture/dataledger/internal/atomicfile"
	"github.com/aba-prefecture/dataledger/ledger"
)

// LogState is what a witness last cosigned for one log.
type LogState struct {
	Size uint64      `json:"size"`
	Root ledger.Hash `json:"root"`
}

// stateFile is the JSON on disk: {"logs": {"<origin>": {"size": N, "root": "<hex>"}}}.
type stateFile struct {
	Logs map[string]LogState `json:"logs"`
}

func loadState(path string) (stateFile, error) {
	s := stateFile{Logs: map[string]LogState{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading witness state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("witness state %s is unreadable: %w", path, err)
	}
	if s.Logs == nil {
		s.Logs = map[string]LogState{}
	}
	return s, nil
}

// save replaces the state file atomically and durably: temporary file, fsync, rename,
// fsync of the directory. A cosignature is only returned after this succeeds.
func (s stateFile) save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving witness state: %w", err)
	}
	return nil
}
