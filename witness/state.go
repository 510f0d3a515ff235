package witness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving witness state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("saving witness state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("saving witness state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("saving witness state: %w", err)
	}
	return nil
}
