package main

import (
	"fmt"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/witness"
)

// witnessFlags collects --witness NAME=PUBFILE (repeatable; LEDGER_WITNESS takes a
// comma-separated list): the witnesses whose cosignatures this ledger keeps and serves.
type witnessFlags []string

func (w *witnessFlags) String() string { return strings.Join(*w, ",") }

// Type names the value in --help.
func (w *witnessFlags) Type() string { return "NAME=PUBFILE" }

func (w *witnessFlags) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if name, file, ok := strings.Cut(s, "="); !ok || name == "" || file == "" {
			return fmt.Errorf("--witness %q: want NAME=PUBFILE", s)
		}
		*w = append(*w, s)
	}
	return nil
}

// witnessCollector reads the configured witness keys; nil if none are configured.
func witnessCollector(specs []string, origin string, ledgerKey *crypto.PublicKey, pub ledger.Cosigned) (*witness.Collector, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	keys := make([]witness.WitnessKey, 0, len(specs))
	for _, s := range specs {
		name, file, _ := strings.Cut(s, "=")
		k, err := crypto.ReadPublicKeyFile(file)
		if err != nil {
			return nil, fmt.Errorf("--witness %s: %w", name, err)
		}
		keys = append(keys, witness.WitnessKey{Name: name, Key: k})
	}
	return witness.NewCollector(origin, ledgerKey, pub, keys...), nil
}
