package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/aba-prefecture/dataledger/domain/events"
)

func main() {
	dir := flag.String("docs", "docs", "documentation directory")
	flag.Parse()
	if err := events.WriteDocs(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
