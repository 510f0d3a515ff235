package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/aba-prefecture/dataledger/domain/events"
)

func main() {
	dir := flag.String("docs", "docs", "documentation directory")
	types := flag.String("types", "", "Go file to write the event-type constants to (none if empty)")
	flag.Parse()
	if err := run(*dir, *types); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, types string) error {
	if err := events.WriteDocs(dir); err != nil {
		return err
	}
	if types == "" {
		return nil
	}
	src, err := events.Constants()
	if err != nil {
		return err
	}
	return os.WriteFile(types, src, 0o644)
}
