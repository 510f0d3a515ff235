package privacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/internal/atomicfile"
)

// StoreFormat names the DirStore layout.
const StoreFormat = "dataledger-keystore/v1"

// DirStore is a KeyStore in a directory:
//
//	DIR/keystore.json          {"format":"dataledger-keystore/v1","kek":"<KEK id>"}
//	DIR/keys/<name>.json       one subject's wrapped key (0600)
//	DIR/destroyed/<name>.json  one destroyed subject's tombstone: the Destruction
//
// where <name> is hex SM3 of the subject, so file names carry no subject id. Several
// processes may share one directory (ledgerd and ledgerctl submit on one host): keys are
// created with link(2), which fails if another process created the key first, and
// destruction writes the tombstone before erasing the key, so every interleaving ends
// with the key gone. Methods are safe for concurrent use.
type DirStore struct {
	dir string
	kek *KEK
	mu  sync.Mutex
	now func() time.Time
}

type storeMeta struct {
	Format string `json:"format"`
	KEK    string `json:"kek"`
}

type keyFile struct {
	Format  string `json:"format"`
	Subject string `json:"subject"`
	KID     string `json:"kid"`
	KEK     string `json:"kek"`
	Nonce   []byte `json:"nonce"`
	Wrapped []byte `json:"wrapped"`
	Created string `json:"created"`
}

type tombstone struct {
	Format  string      `json:"format"`
	Subject string      `json:"subject"`
	By      Destruction `json:"destroyed_by"`
}

// OpenDirStore opens the store in dir, creating it (and recording kek's id) if dir does
// not hold one. A store made under another KEK is refused with ErrWrongKEK. Opening also
// finishes any erasure a crash interrupted.
func OpenDirStore(dir string, kek *KEK) (*DirStore, error) {
	if kek == nil {
		return nil, errors.New("a key store needs a key-encryption key")
	}
	for _, d := range []string{dir, filepath.Join(dir, "keys"), filepath.Join(dir, "destroyed")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating the key store: %w", err)
		}
	}
	s := &DirStore{dir: dir, kek: kek, now: time.Now}
	metaPath := filepath.Join(dir, "keystore.json")
	b, err := os.ReadFile(metaPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		mb, _ := json.Marshal(storeMeta{Format: StoreFormat, KEK: kek.ID()})
		if err := writeFileAtomic(metaPath, append(mb, '\n')); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("opening the key store: %w", err)
	default:
		var m storeMeta
		if err := json.Unmarshal(b, &m); err != nil || m.Format != StoreFormat {
			return nil, fmt.Errorf("%s is not a %s key store", dir, StoreFormat)
		}
		if m.KEK != kek.ID() {
			return nil, fmt.Errorf("%w: the store in %s was made under KEK %s, this is %s", ErrWrongKEK, dir, m.KEK, kek.ID())
		}
	}
	if err := s.finishErasures(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is the store's directory.
func (s *DirStore) Dir() string { return s.dir }

func fileName(subject string) string {
	h := crypto.SM3([]byte("dataledger/subject/v1\x00" + subject))
	return hex.EncodeToString(h[:]) + ".json"
}

func (s *DirStore) keyPath(subject string) string {
	return filepath.Join(s.dir, "keys", fileName(subject))
}

func (s *DirStore) tombPath(subject string) string {
	return filepath.Join(s.dir, "destroyed", fileName(subject))
}

// destroyed returns the subject's tombstone, if any.
func (s *DirStore) destroyed(subject string) (*ShreddedError, error) {
	b, err := os.ReadFile(s.tombPath(subject))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the key store: %w", err)
	}
	var t tombstone
	if err := json.Unmarshal(b, &t); err != nil || t.Subject != subject {
		return nil, fmt.Errorf("the key store's tombstone for subject %s is corrupt", subject)
	}
	return &ShreddedError{Subject: subject, By: t.By}, nil
}

// GetOrCreate implements KeyStore.
func (s *DirStore) GetOrCreate(ctx context.Context, subject string) (DataKey, error) {
	if err := ValidSubject(subject); err != nil {
		return DataKey{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if se, err := s.destroyed(subject); err != nil || se != nil {
		return DataKey{}, errOr(se, err)
	}
	if dk, err := s.read(subject, ""); !errors.Is(err, ErrNoKey) {
		return dk, err
	}
	var kb [8]byte
	key := make([]byte, crypto.SM4KeySize)
	if _, err := rand.Read(kb[:]); err != nil {
		return DataKey{}, err
	}
	if _, err := rand.Read(key); err != nil {
		return DataKey{}, err
	}
	kid := hex.EncodeToString(kb[:])
	nonce, wrapped, err := s.kek.wrap(subject, kid, key)
	if err != nil {
		return DataKey{}, err
	}
	b, _ := json.Marshal(keyFile{Format: StoreFormat, Subject: subject, KID: kid, KEK: s.kek.ID(), Nonce: nonce, Wrapped: wrapped,
		Created: s.now().UTC().Format(time.RFC3339)})
	err = createFileExclusive(s.keyPath(subject), append(b, '\n'))
	if errors.Is(err, os.ErrExist) {
		return s.read(subject, "") // another process made it first: use theirs
	}
	if err != nil {
		return DataKey{}, fmt.Errorf("storing the data key of %s: %w", subject, err)
	}
	// A Shred in another process may have written its tombstone after our check and
	// erased nothing; look again and erase our own key if so.
	if se, err := s.destroyed(subject); err != nil || se != nil {
		if se != nil {
			_ = eraseFile(s.keyPath(subject))
		}
		return DataKey{}, errOr(se, err)
	}
	return DataKey{Subject: subject, ID: kid, Key: key}, nil
}

func errOr(se *ShreddedError, err error) error {
	if se != nil {
		return se
	}
	return err
}

// Get implements KeyStore.
func (s *DirStore) Get(ctx context.Context, subject, kid string) (DataKey, error) {
	if err := ValidSubject(subject); err != nil {
		return DataKey{}, err
	}
	if !kidRE.MatchString(kid) {
		return DataKey{}, fmt.Errorf("key id %q is not 16 hex digits", kid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if se, err := s.destroyed(subject); err != nil || se != nil {
		return DataKey{}, errOr(se, err)
	}
	return s.read(subject, kid)
}

// read loads and unwraps the subject's key; kid "" accepts whichever is stored.
func (s *DirStore) read(subject, kid string) (DataKey, error) {
	b, err := os.ReadFile(s.keyPath(subject))
	if errors.Is(err, os.ErrNotExist) {
		return DataKey{}, fmt.Errorf("%w: subject %s has no key in %s", ErrNoKey, subject, s.dir)
	}
	if err != nil {
		return DataKey{}, fmt.Errorf("reading the key store: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil || kf.Subject != subject || !kidRE.MatchString(kf.KID) {
		return DataKey{}, fmt.Errorf("the key store's key file for subject %s is corrupt", subject)
	}
	if kid != "" && kf.KID != kid {
		return DataKey{}, fmt.Errorf("%w: subject %s has key %s, not %s", ErrNoKey, subject, kf.KID, kid)
	}
	if kf.KEK != s.kek.ID() {
		return DataKey{}, fmt.Errorf("%w: subject %s's key is wrapped under KEK %s", ErrWrongKEK, subject, kf.KEK)
	}
	key, err := s.kek.unwrap(subject, kf.KID, kf.Nonce, kf.Wrapped)
	if err != nil {
		return DataKey{}, err
	}
	return DataKey{Subject: subject, ID: kf.KID, Key: key}, nil
}

// Shred implements KeyStore: tombstone first (durable), then the key file is overwritten
// with zeros, synced, unlinked, and the directory synced.
func (s *DirStore) Shred(ctx context.Context, subject string, by Destruction) error {
	if err := ValidSubject(subject); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	se, err := s.destroyed(subject)
	if err != nil {
		return err
	}
	if se == nil {
		if _, err := os.Stat(s.keyPath(subject)); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: subject %s has no key to destroy", ErrNoKey, subject)
		}
		if by.ShreddedAt == "" {
			by.ShreddedAt = s.now().UTC().Format(time.RFC3339Nano)
		}
		b, _ := json.Marshal(tombstone{Format: StoreFormat, Subject: subject, By: by})
		if err := writeFileAtomic(s.tombPath(subject), append(b, '\n')); err != nil {
			return fmt.Errorf("recording the destruction of %s: %w", subject, err)
		}
	}
	if err := eraseFile(s.keyPath(subject)); err != nil {
		return fmt.Errorf("erasing the key of %s: %w", subject, err)
	}
	return nil
}

// finishErasures erases key files whose subject has a tombstone (a crash between the
// two steps of Shred).
func (s *DirStore) finishErasures() error {
	ents, err := os.ReadDir(filepath.Join(s.dir, "destroyed"))
	if err != nil {
		return fmt.Errorf("reading the key store: %w", err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(s.dir, "keys", e.Name())
		if _, err := os.Stat(p); err == nil {
			if err := eraseFile(p); err != nil {
				return fmt.Errorf("finishing an interrupted key erasure: %w", err)
			}
		}
	}
	return nil
}

// Subjects lists the subjects with a live key and those destroyed, for operators.
func (s *DirStore) Subjects() (live, destroyed []string, err error) {
	for _, sub := range []struct {
		dir string
		out *[]string
	}{{"keys", &live}, {"destroyed", &destroyed}} {
		ents, err := os.ReadDir(filepath.Join(s.dir, sub.dir))
		if err != nil {
			return nil, nil, err
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(s.dir, sub.dir, e.Name()))
			if err != nil {
				return nil, nil, err
			}
			var v struct{ Subject string }
			if json.Unmarshal(b, &v) == nil && v.Subject != "" {
				*sub.out = append(*sub.out, v.Subject)
			}
		}
	}
	return live, destroyed, nil
}

// eraseFile overwrites path with zeros, syncs, unlinks it and syncs its directory. A
// missing file is not an error.
func eraseFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if _, err := io.Copy(f, io.LimitReader(zeroReader{}, fi.Size())); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// writeFileAtomic and createFileExclusive keep key files private to the process's user.
func writeFileAtomic(path string, b []byte) error { return atomicfile.Write(path, b, 0o600) }

func createFileExclusive(path string, b []byte) error { return atomicfile.Create(path, b, 0o600) }

func syncDir(dir string) error { return atomicfile.SyncDir(dir) }
