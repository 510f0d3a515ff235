package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/internal/atomicfile"
)

// Publisher keeps every checkpoint the ledger signs somewhere other than the ledger's own
// store, so that an operator who truncates or rewrites the store cannot also make the
// checkpoints already handed out disappear. At Open the ledger compares its store with
// the newest published checkpoint and refuses to start if the store is behind it or
// disagrees with it.
//
// Implementations must be safe for concurrent use. Publish MUST NOT return nil until the
// checkpoint is durable, and MUST be idempotent: publishing a checkpoint of a size already
// published (the ledger re-publishes after a crash) keeps the first copy.
type Publisher interface {
	// Publish durably records a signed checkpoint.
	Publish(ctx context.Context, c Checkpoint) error
	// Latest returns the published checkpoint with the largest size, parsed but not
	// verified (the caller holds the key); ErrNotFound if none was published.
	Latest(ctx context.Context) (Checkpoint, error)
}

// Cosigned is the optional power of a Publisher to keep witnesses' cosignatures with a
// published checkpoint, so that readers of the publication see them.
type Cosigned interface {
	// AddSignatures merges signature lines (each "— name base64\n") into the published
	// checkpoint whose body (origin, size, root lines) is body; it fails if no such
	// checkpoint was published. Lines already present are kept once. The caller has
	// verified them over body.
	AddSignatures(ctx context.Context, body string, lines [][]byte) error
}

// DirPublisher publishes checkpoints as files in one directory: <size>.ckpt for each
// checkpoint and latest for the newest, each the signed note text exactly as served by
// GET /v1/checkpoint. Files are written to a temporary name, fsynced, renamed into place
// and the directory fsynced, so a crash leaves either the old file or the new one.
type DirPublisher struct {
	dir string
	mu  sync.Mutex
	// Keep is how many <size>.ckpt files to retain (0: DefaultKeep; negative: all). The
	// newest published checkpoint alone anchors everything before it (the store must be
	// consistent with it), and the store keeps every checkpoint; without a bound, a busy
	// ledger signing every second would write 86,400 files a day for verify to re-read.
	Keep int
}

// DefaultKeep is the number of published checkpoint files a DirPublisher retains.
const DefaultKeep = 256

var (
	_ Publisher = (*DirPublisher)(nil)
	_ Cosigned  = (*DirPublisher)(nil)
)

// NewDirPublisher publishes into dir, creating it if needed.
func NewDirPublisher(dir string) (*DirPublisher, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating checkpoint directory: %w", err)
	}
	return &DirPublisher{dir: dir}, nil
}

// Dir is the publication directory.
func (p *DirPublisher) Dir() string { return p.dir }

const latestName = "latest"

func ckptName(size uint64) string { return strconv.FormatUint(size, 10) + ".ckpt" }

// Publish implements Publisher.
func (p *DirPublisher) Publish(ctx context.Context, c Checkpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	path := filepath.Join(p.dir, ckptName(c.Size))
	if old, err := p.read(c.Size); err == nil {
		oc, err := parseNote(old)
		if err != nil {
			return fmt.Errorf("published %s is unreadable: %w", path, err)
		}
		if oc.Root != c.Root {
			return &ChainError{Seq: c.Size, Reason: "rewritten",
				Detail: fmt.Sprintf("a different checkpoint for size %d is already published in %s", c.Size, path)}
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(p.dir, ckptName(c.Size), c.Note); err != nil {
			return err
		}
	} else {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	cur, ok, err := p.latestFile()
	if err != nil {
		return err
	}
	if ok && cur.Size >= c.Size {
		return nil
	}
	text, err := p.read(c.Size)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := writeAtomic(p.dir, latestName, text); err != nil {
		return err
	}
	return p.prune()
}

// prune removes the oldest checkpoint files beyond Keep. latest and the newest files
// always stay.
func (p *DirPublisher) prune() error {
	keep := p.Keep
	if keep == 0 {
		keep = DefaultKeep
	}
	if keep < 0 {
		return nil
	}
	sizes, err := p.sizes()
	if err != nil || len(sizes) <= keep {
		return err
	}
	for _, s := range sizes[:len(sizes)-keep] {
		for _, name := range []string{ckptName(s), fmt.Sprintf("%012d.checkpoint", s)} {
			if err := os.Remove(filepath.Join(p.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("pruning published checkpoints: %w", err)
			}
		}
	}
	return nil
}

// Latest implements Publisher. It takes the larger of latest and the largest
// <size>.ckpt, so deleting latest alone hides nothing.
func (p *DirPublisher) Latest(ctx context.Context) (Checkpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latestLocked()
}

// latestFile reads the latest file alone.
func (p *DirPublisher) latestFile() (Checkpoint, bool, error) {
	b, err := os.ReadFile(filepath.Join(p.dir, latestName))
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("reading published checkpoint: %w", err)
	}
	c, err := parseNote(b)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("published %s is unreadable: %w", latestName, err)
	}
	return c, true, nil
}

func (p *DirPublisher) latestLocked() (Checkpoint, error) {
	best, found, err := p.latestFile()
	if err != nil {
		return Checkpoint{}, err
	}
	sizes, err := p.sizes()
	if err != nil {
		return Checkpoint{}, err
	}
	if n := len(sizes); n > 0 && (!found || sizes[n-1] > best.Size) {
		c, err := p.get(sizes[n-1])
		if err != nil {
			return Checkpoint{}, err
		}
		best, found = c, true
	}
	if !found {
		return Checkpoint{}, fmt.Errorf("%w: no checkpoint published in %s", ErrNotFound, p.dir)
	}
	return best, nil
}

// Get returns the published checkpoint of one size.
func (p *DirPublisher) Get(size uint64) (Checkpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.get(size)
}

func (p *DirPublisher) get(size uint64) (Checkpoint, error) {
	b, err := p.read(size)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, fmt.Errorf("%w: no checkpoint of size %d published", ErrNotFound, size)
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("reading published checkpoint: %w", err)
	}
	c, err := parseNote(b)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("published %s is unreadable: %w", ckptName(size), err)
	}
	if c.Size != size {
		return Checkpoint{}, fmt.Errorf("published %s holds a checkpoint of size %d", ckptName(size), c.Size)
	}
	return c, nil
}

// All returns every published checkpoint's text in increasing size order: what
// verification passes as VerifyOptions.Checkpoints.
func (p *DirPublisher) All() ([][]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sizes, err := p.sizes()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(sizes))
	for _, s := range sizes {
		b, err := p.read(s)
		if err != nil {
			return nil, fmt.Errorf("reading published checkpoint: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// sizes lists the published sizes and their files. Besides <size>.ckpt it reads the
// zero-padded <size>.checkpoint files earlier tools wrote, so that nothing published
// under either name is overlooked.
func (p *DirPublisher) sizes() ([]uint64, error) {
	des, err := os.ReadDir(p.dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", p.dir, err)
	}
	seen := map[uint64]bool{}
	var sizes []uint64
	for _, de := range des {
		n, ok := parseCkptName(de.Name())
		if ok && !seen[n] {
			seen[n] = true
			sizes = append(sizes, n)
		}
	}
	slices.Sort(sizes)
	return sizes, nil
}

func parseCkptName(name string) (uint64, bool) {
	if s, ok := strings.CutSuffix(name, ".ckpt"); ok {
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil && strconv.FormatUint(n, 10) == s
	}
	if s, ok := strings.CutSuffix(name, ".checkpoint"); ok && s != "" && !strings.HasPrefix(s, "+") {
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// read returns the published text for size under either name.
func (p *DirPublisher) read(size uint64) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(p.dir, ckptName(size)))
	if errors.Is(err, fs.ErrNotExist) {
		b, err = os.ReadFile(filepath.Join(p.dir, fmt.Sprintf("%012d.checkpoint", size)))
	}
	return b, err
}

// AddSignatures implements Cosigned.
func (p *DirPublisher) AddSignatures(ctx context.Context, body string, lines [][]byte) error {
	c, err := ParseCheckpointBody(body)
	if err != nil {
		return err
	}
	size := c.Size
	p.mu.Lock()
	defer p.mu.Unlock()
	old, err := p.read(size)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: no checkpoint of size %d published", ErrNotFound, size)
	}
	if err != nil {
		return fmt.Errorf("reading published checkpoint of size %d: %w", size, err)
	}
	if !bytes.HasPrefix(old, []byte(body+"\n")) {
		return fmt.Errorf("%w: the published checkpoint of size %d has another body", ErrConflict, size)
	}
	merged, changed := MergeSignatures(old, lines)
	if !changed {
		return nil
	}
	if err := writeAtomic(p.dir, ckptName(size), merged); err != nil {
		return err
	}
	if cur, ok, err := p.latestFile(); err == nil && ok && cur.Size == size {
		return writeAtomic(p.dir, latestName, merged)
	}
	return nil
}

// MergeSignatures appends to a signed note the signature lines it does not already hold.
func MergeSignatures(noteText []byte, lines [][]byte) ([]byte, bool) {
	out := bytes.Clone(noteText)
	changed := false
	for _, l := range lines {
		if !bytes.HasSuffix(l, []byte("\n")) {
			l = append(bytes.Clone(l), '\n')
		}
		if bytes.Contains(out, append([]byte("\n"), l...)) {
			continue
		}
		out = append(out, l...)
		changed = true
	}
	return out, changed
}

// parseNote reads the size and root of a signed checkpoint without verifying it.
func parseNote(b []byte) (Checkpoint, error) {
	i := bytes.LastIndex(b, []byte("\n\n"))
	if i < 0 {
		return Checkpoint{}, errors.New("not a signed note")
	}
	c, err := ParseCheckpointBody(string(b[:i+1]))
	if err != nil {
		return Checkpoint{}, err
	}
	c.Note = b
	return c, nil
}

// writeAtomic replaces dir/name with data.
func writeAtomic(dir, name string, data []byte) error {
	if err := atomicfile.Write(filepath.Join(dir, name), data, 0o644); err != nil {
		return fmt.Errorf("publishing %s: %w", name, err)
	}
	return nil
}

// CheckPublished compares the store with a published checkpoint, already verified as
// signed by the ledger key. It returns a *ChainError with Reason "truncated" if the
// store holds fewer entries than the checkpoint covers, and "rewritten" if the stored
// tree at the checkpoint's size has another root or its last covered entry is not the
// one the checkpoint includes. It costs O(log n) reads.
func CheckPublished(ctx context.Context, st Store, c Checkpoint) error {
	h, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading head: %w", err)
	}
	if c.Size > h.Size {
		return &ChainError{Seq: h.Size, Reason: "truncated",
			Detail: fmt.Sprintf("a published checkpoint covers %d entries but the store holds %d", c.Size, h.Size)}
	}
	if c.Size == 0 {
		return nil
	}
	root, err := RootAt(ctx, st, c.Size)
	if err != nil {
		return &ChainError{Seq: c.Size - 1, Reason: "rewritten", Detail: err.Error()}
	}
	if root != c.Root {
		return &ChainError{Seq: c.Size - 1, Reason: "rewritten",
			Detail: fmt.Sprintf("the stored tree of %d entries has root %s; the published checkpoint signed %s", c.Size, root, c.Root)}
	}
	var last []byte
	if err := st.Entries(ctx, c.Size-1, c.Size, func(r RawEntry) error { last = bytes.Clone(r.Bytes); return nil }); err != nil {
		return fmt.Errorf("reading entry %d: %w", c.Size-1, err)
	}
	p, err := InclusionProof(ctx, st, c.Size-1, c.Size)
	if err != nil {
		return &ChainError{Seq: c.Size - 1, Reason: "rewritten", Detail: err.Error()}
	}
	if last == nil || VerifyInclusion(last, c.Size-1, c.Size, p, c.Root) != nil {
		return &ChainError{Seq: c.Size - 1, Reason: "rewritten",
			Detail: fmt.Sprintf("entry %d is not the entry the published checkpoint of size %d includes", c.Size-1, c.Size)}
	}
	return nil
}

// openPublished is Open's guard: the newest published checkpoint must be signed by the
// ledger key and agree with the store. It returns that checkpoint, or nil if none was
// published yet.
func openPublished(ctx context.Context, st Store, pub Publisher, origin string, key *crypto.PublicKey) (*Checkpoint, error) {
	c, err := pub.Latest(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the published checkpoint: %w", err)
	}
	oc, _, err := OpenCheckpoint(c.Note, origin, key)
	if err != nil {
		return nil, &ChainError{Seq: c.Size, Reason: "bad_checkpoint", Detail: "published checkpoint: " + err.Error()}
	}
	if err := CheckPublished(ctx, st, oc); err != nil {
		return nil, err
	}
	return &oc, nil
}

// publish hands c to the Publisher if it is newer than what was published. Called with
// ckptMu held, after c is stored; a failure leaves c stored and is retried on the next
// Checkpoint call.
func (l *Ledger) publish(ctx context.Context, c Checkpoint) error {
	if l.opts.Publisher == nil || c.Size <= l.pubSize {
		return nil
	}
	if err := l.opts.Publisher.Publish(ctx, c); err != nil {
		l.reportCorrupt(err)
		return fmt.Errorf("publishing checkpoint of size %d: %w", c.Size, err)
	}
	l.pubSize = c.Size
	return nil
}

// NoteSignatures returns the signature lines of a signed note ("— name base64\n").
func NoteSignatures(text []byte) [][]byte {
	i := bytes.LastIndex(text, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	var out [][]byte
	for _, l := range bytes.SplitAfter(text[i+2:], []byte("\n")) {
		if len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}
