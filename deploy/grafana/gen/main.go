// Command gen writes the ledger's Grafana dashboards, built by package grafana, into
// deploy/grafana/dashboards/ (or the directory given with -out), where Grafana's
// dashboard provider loads them. Run it after changing the dashboards' code:
//
//	go run ./deploy/grafana/gen
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aba-prefecture/dataledger/deploy/grafana"
)

func main() {
	out := flag.String("out", filepath.Join("deploy", "grafana", "dashboards"), "directory to write the dashboards into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := grafana.Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.JSON, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		fmt.Println(p)
	}
	return nil
}
