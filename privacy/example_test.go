package privacy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aba-prefecture/dataledger/privacy"
)

// The additional authenticated data binds a ciphertext to its event, field, subject and key.
func ExampleAAD() {
	fmt.Printf("%q\n", privacy.AAD("0190f5c2-7a4e-7b1c-8d3e-1234567890ab", "party", "party/np-81aa", "0011223344556677"))
	// Output: "sm4-gcm/v1\x000190f5c2-7a4e-7b1c-8d3e-1234567890ab\x00party\x00party/np-81aa\x000011223344556677"
}

// Command-line field lists: paths, each with its own subject or the default one.
func ExampleParseFields() {
	fs, _ := privacy.ParseFields("description,items.*.name=party/np-9", "party/np-81aa")
	for _, f := range fs {
		fmt.Println(f.Path, f.Subject)
	}
	// Output:
	// description party/np-81aa
	// items.*.name party/np-9
}

// Encrypt a field before signing, read it back, destroy the subject's key.
func ExampleEncryptPayload() {
	dir, _ := os.MkdirTemp("", "ks")
	defer os.RemoveAll(dir)
	kek, _ := privacy.GenerateKEKFile(filepath.Join(dir, "kek"))
	ks, _ := privacy.OpenDirStore(filepath.Join(dir, "store"), kek)
	ctx := context.Background()
	id := "0190f5c2-7a4e-7b1c-8d3e-1234567890ab"

	enc, _ := privacy.EncryptPayload(ctx, ks, id, []byte(`{"request":"sr-1","description":"户籍地址有误"}`),
		[]privacy.Field{{Path: "description", Subject: "party/np-81aa"}})
	clear, fields, _ := privacy.DecryptPayload(ctx, ks, id, enc)
	fmt.Println(string(clear), fields[0].Status)

	ks.Shred(ctx, "party/np-81aa", privacy.Destruction{EventID: "0190f5c3-…", Seq: 42, Type: "subject_request.answered.v1", Article: "22"})
	_, fields, _ = privacy.DecryptPayload(ctx, ks, id, enc)
	fmt.Println(fields[0].Status, fields[0].DestroyedBy.Seq)
	// Output:
	// {"description":"户籍地址有误","request":"sr-1"} decrypted
	// destroyed 42
}
