package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
)

// bombStore is the length of the store member of the stream bombTar builds: zeros,
// which gzip shrinks about a thousandfold.
const bombStore = 32 << 20

// bombTar is a well-formed snapshot stream whose store is bombStore zero bytes.
func bombTar(t *testing.T) []byte {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	add(client.SnapshotStoreFile, make([]byte, bombStore))
	add("keys/ledger.pub", crypto.MarshalPublicKeyPEM(k.Public()))
	m, _ := json.Marshal(client.SnapshotManifest{Format: client.SnapshotFormat, StoreBytes: bombStore, Keys: []string{"keys/ledger.pub"}})
	add(client.SnapshotManifestFile, m)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSnapshotRefusesEncodedBody: the client asks for identity encoding and never
// inflates an answer. A server that compresses only when asked answers it plainly; one
// that sends gzip (or any encoding) unasked is refused before the body is read, with
// nothing written. Before, Go's transport asked for gzip and inflated it on the fly: a
// stream of a few tens of KiB wrote the whole store before anything was checked.
func TestSnapshotRefusesEncodedBody(t *testing.T) {
	plain := bombTar(t)
	zipped := gzipped(t, plain)
	if len(zipped) > bombStore/100 {
		t.Fatalf("the bomb is %d bytes compressed", len(zipped))
	}
	for _, tc := range []struct {
		name string
		// serve answers a request whose Accept-Encoding was accept.
		serve func(w http.ResponseWriter, accept string)
		ok    bool
		want  string // in the one line on stderr when refused
	}{
		{"gzip_only_if_asked", func(w http.ResponseWriter, accept string) {
			if strings.Contains(accept, "gzip") {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(zipped)
				return
			}
			w.Write(plain)
		}, true, ""},
		{"identity_named", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Encoding", "identity")
			w.Write(plain)
		}, true, ""},
		{"gzip_unasked", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(zipped)
		}, false, "Content-Encoding gzip"},
		{"gzip_after_identity", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Encoding", "identity, gzip")
			w.Write(zipped)
		}, false, "Content-Encoding gzip"},
		{"br_unasked", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Encoding", "br")
			w.Write(zipped)
		}, false, "Content-Encoding br"},
		{"gzip_error_answer", func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(http.StatusForbidden)
			w.Write(zipped)
		}, false, "403 Forbidden, answered with Content-Encoding gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var accepts []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				accepts = append(accepts, r.Header.Get("Accept-Encoding"))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/x-tar")
				tc.serve(w, r.Header.Get("Accept-Encoding"))
			}))
			defer srv.Close()
			parent := t.TempDir()
			out := filepath.Join(parent, "snap")
			code, _, errOut := ledgerctl(t, "snapshot", "--server", srv.URL, "--out", out, "--token", "dlt1_test")
			mu.Lock()
			if len(accepts) != 1 || accepts[0] != "identity" {
				t.Errorf("Accept-Encoding sent: %q, want identity once", accepts)
			}
			mu.Unlock()
			if tc.ok {
				fi, err := os.Stat(filepath.Join(out, client.SnapshotStoreFile))
				if code != exitOK || err != nil || fi.Size() != bombStore {
					t.Fatalf("exit %d (%v): %s", code, err, errOut)
				}
				return
			}
			line, rest, _ := strings.Cut(errOut, "\n")
			if code != exitUsage || rest != "" || !strings.HasPrefix(line, "ledgerctl: snapshot: ") ||
				!strings.Contains(line, tc.want) || !strings.Contains(line, "nothing was read or written") {
				t.Fatalf("exit %d, stderr %q; want exit 2 and one line with %q", code, errOut, tc.want)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 0 {
				t.Fatalf("left behind: %v", ents)
			}
		})
	}
}

// TestSnapshotWritesPublicKeysOnly: a key member with a private key appended (or alone)
// fails the whole snapshot, naming the member and the private key, and leaves nothing;
// a key member that is one public key with stray whitespace is written re-encoded, mode
// 0644, so that a snapshot's key files hold exactly one public key each.
func TestSnapshotWritesPublicKeysOnly(t *testing.T) {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := string(crypto.MarshalPublicKeyPEM(k.Public()))
	priv, err := crypto.MarshalPrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	store := "store bytes"
	stream := func(key string) []byte {
		man, _ := json.Marshal(client.SnapshotManifest{Format: client.SnapshotFormat, StoreBytes: int64(len(store)), Keys: []string{"keys/root.pub"}})
		return snapshotTar(t, [2]string{client.SnapshotStoreFile, store}, [2]string{"keys/root.pub", key}, [2]string{client.SnapshotManifestFile, string(man)})
	}
	for _, tc := range []struct {
		name, key string
		want      string // "" accepted
	}{
		{"public_key", pub, ""},
		{"public_key_crlf_and_blank_lines", "\r\n" + strings.ReplaceAll(pub, "\n", "\r\n") + "\r\n\r\n", ""},
		{"private_key_appended", pub + string(priv), `keys/root.pub is not one SM2 public key, refusing the snapshot: malformed key: a private key where only a public key belongs: it holds a "PRIVATE KEY" block`},
		{"private_key_only", string(priv), "a private key where only a public key belongs"},
		{"second_public_key", pub + pub, "exactly one public key"},
		{"oversized", pub + strings.Repeat(" ", maxKeyMember), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := stream(tc.key)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
			defer srv.Close()
			parent := t.TempDir()
			out := filepath.Join(parent, "snap")
			code, _, errOut := ledgerctl(t, "snapshot", "--server", srv.URL, "--out", out, "--token", "dlt1_test")
			if tc.want != "" {
				if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
					t.Fatalf("exit %d, stderr %q; want exit 2 with %q", code, errOut, tc.want)
				}
				if ents, _ := os.ReadDir(parent); len(ents) != 0 {
					t.Fatalf("left behind: %v", ents)
				}
				return
			}
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			p := filepath.Join(out, "keys", "root.pub")
			b, err := os.ReadFile(p)
			fi, _ := os.Stat(p)
			if err != nil || string(b) != pub || fi.Mode().Perm() != 0o644 {
				t.Fatalf("keys/root.pub (%v, %v):\n%q\nwant the key re-encoded:\n%q", err, fi.Mode(), b, pub)
			}
		})
	}
}

// TestUnpackSnapshotMemberLimits: checkpoints and keys are small and bounded; the
// manifest's bound grows with the members before it (it lists them), so a long-running
// ledger's many checkpoints still unpack, and a manifest padded beyond that does not.
func TestUnpackSnapshotMemberLimits(t *testing.T) {
	store := "store bytes"
	many := [][2]string{{client.SnapshotStoreFile, store}}
	var names []string
	for i := range 300 {
		n := fmt.Sprintf("checkpoints/%d.ckpt", 1000000+i)
		many = append(many, [2]string{n, "note\n"})
		names = append(names, n)
	}
	// As long as a manifest that lists a few thousand checkpoints: beyond the base bound,
	// within the bound its 300 members add.
	long := strings.Repeat("x", maxManifestBase)
	man, _ := json.Marshal(client.SnapshotManifest{Format: client.SnapshotFormat, StoreBytes: int64(len(store)), Checkpoints: names, Origin: long})
	if _, err := unpackSnapshot(bytes.NewReader(snapshotTar(t, append(many, [2]string{client.SnapshotManifestFile, string(man)})...)), t.TempDir()); err != nil {
		t.Fatalf("a %d-byte manifest after 300 checkpoints: %v", len(man), err)
	}

	padded, _ := json.Marshal(client.SnapshotManifest{Format: client.SnapshotFormat, StoreBytes: int64(len(store)), Origin: long + strings.Repeat("x", 4096)})
	_, err := unpackSnapshot(bytes.NewReader(snapshotTar(t, [2]string{client.SnapshotStoreFile, store}, [2]string{client.SnapshotManifestFile, string(padded)})), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "snapshot.json is larger than") {
		t.Fatalf("a padded manifest: %v", err)
	}
	_, err = unpackSnapshot(bytes.NewReader(snapshotTar(t, [2]string{"checkpoints/7.ckpt", strings.Repeat("n", maxCheckpointMember+1)})), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "checkpoints/7.ckpt is larger than") {
		t.Fatalf("an oversized checkpoint: %v", err)
	}
}
