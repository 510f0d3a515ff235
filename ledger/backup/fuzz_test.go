package backup

import (
	"archive/tar"
	"bytes"
	"testing"
)

// FuzzExtractTar: the decrypted tar decoder never panics, never writes outside its
// directory, and accepts only what its manifest lists.
func FuzzExtractTar(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "keys/a.pub", Size: 1, Mode: 0o644})
	tw.Write([]byte("x"))
	m := []byte(`{"format":"aba-ledger-backup/v1","created_at":"","origin":"","source":"","head":{"size":0,"last_hash":"0000000000000000000000000000000000000000000000000000000000000000","root":"0000000000000000000000000000000000000000000000000000000000000000"},"record_seq":0,"private_keys":false,"files":[{"name":"keys/a.pub","size":1,"sm3":"` + "d0aa9b1e4a2ff5a7d0df4b8f1e3e29e3a9c6f5b44b0cd3a3b3c6c13e0f9ac8f0" + `"}]}`)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ManifestFile, Size: int64(len(m)), Mode: 0o644})
	tw.Write(m)
	tw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		m, err := extractTar(bytes.NewReader(data), dir)
		if err == nil && m.Format != Format {
			t.Fatalf("accepted format %q", m.Format)
		}
	})
}

// FuzzParseManifest: the manifest decoder never panics and accepts only names the format
// allows.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":"aba-ledger-backup/v1","files":[{"name":"keys/a.pub","size":1,"sm3":"00"}]}`))
	f.Add([]byte(`{"format":"aba-ledger-backup/v1","files":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		for _, fl := range m.Files {
			if !memberRE.MatchString(fl.Name) {
				t.Fatalf("accepted member name %q", fl.Name)
			}
		}
	})
}

// FuzzDecrypt: the frame decoder never panics on any input after a valid header.
func FuzzDecrypt(f *testing.F) {
	f.Add(archive(f))
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Extract(bytes.NewReader(data), pass, t.TempDir())
	})
}
