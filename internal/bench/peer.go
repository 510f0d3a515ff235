package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// runPeer runs the Tessera peer benchmark (go run, its own module, in its source
// directory src) on a fresh log directory under work and returns the rate it prints.
// The log directory is removed afterwards, whatever happens.
func runPeer(ctx context.Context, src, work string, n int) (float64, error) {
	// Absolute: the peer runs in its own source directory, where a relative path (a
	// relative --data) would leave its log there (hundreds of MB after a few runs).
	logDir, err := filepath.Abs(filepath.Join(work, "peer-log"))
	if err != nil {
		return 0, fmt.Errorf("peer log directory: %w", err)
	}
	defer os.RemoveAll(logDir)
	cmd := exec.CommandContext(ctx, "go", "run", ".", "-dir", logDir, "-n", strconv.Itoa(n))
	cmd.Dir = src
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("running the peer in %s: %w: %s", src, err, strings.TrimSpace(stderr.String()))
	}
	return lastRate(out)
}

// lastRate is the number on the last non-empty line of the peer's output.
func lastRate(out []byte) (float64, error) {
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			last = s
		}
	}
	v, err := strconv.ParseFloat(last, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("the peer printed %q, not a rate", last)
	}
	return v, nil
}
