package backup_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/aba-prefecture/dataledger/ledger/backup"
)

// An archive is written member by member and closed with its manifest; Extract checks
// every member against it.
func Example() {
	pass := []byte("correct horse battery staple")
	var buf bytes.Buffer
	w, err := backup.NewWriter(&buf, pass)
	if err != nil {
		panic(err)
	}
	_ = w.Add("checkpoints/0.ckpt", []byte("example\n0\n"))
	if _, err := w.Close(backup.Manifest{Origin: "example"}); err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "restore-")
	defer os.RemoveAll(dir)
	m, err := backup.Extract(&buf, pass, dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Format, m.Origin, m.Files[0].Name, m.Files[0].Size)
	// Output: aba-ledger-backup/v1 example checkpoints/0.ckpt 10
}
