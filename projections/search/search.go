package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	bolt "go.etcd.io/bbolt"
)

// Name is the index's stable read-model name: it keys its position.
const Name = "search"

// format is the index file's layout version; a file of another version is rebuilt.
const format = 3

var (
	bMeta = []byte("meta")
	bDocs = []byte("docs") // seq → Hit (JSON)
	// Postings: value 0x00 YYYYMMDD seq (8 bytes big-endian) → nothing, one bucket per
	// field: every list is in day order, so a day range is one seek in any of them.
	bByInstitution = []byte("by:institution")
	bByPerson      = []byte("by:person")
	bByResource    = []byte("by:resource")
	bByType        = []byte("by:type")
	bByStream      = []byte("by:stream")
	bByDay         = []byte("by:day") // value "" (every entry)

	kPosition = []byte("position")
	kFormat   = []byte("format")

	// ErrPositionMoved: an Apply did not start at the stored position (another process
	// applied first); the follower re-reads the position.
	ErrPositionMoved = fmt.Errorf("search index: %w", follow.ErrPositionMoved)
)

// Hit is one indexed entry: what a result row shows, without reading the ledger.
type Hit struct {
	Seq         uint64   `json:"seq"`
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Stream      string   `json:"stream"`
	Institution string   `json:"institution"`
	Person      string   `json:"person"`
	Resources   []string `json:"resources,omitempty"`
	Persons     []string `json:"persons,omitempty"` // officials the payload names (person, approved_by)
	OccurredAt  string   `json:"occurred_at"`
	RecordedAt  string   `json:"recorded_at"`
	Day         string   `json:"day"` // the act's claimed day, China time (YYYY-MM-DD)
	Hash        string   `json:"hash"`
}

// Index is the investigation index: every entry under each value an officer searches by
// (institution, person, resource, type, stream, day), in a bbolt file of its own beside
// the ledger. It is a read model: Apply folds entries from its stored position, in the
// same transaction as the position, so a crash replays nothing twice and a rebuild from
// zero gives the same file contents. Safe for concurrent use.
type Index struct {
	db *bolt.DB
}

// Open opens (creating) the index file at path. A file of another layout version is
// emptied, to be rebuilt from the ledger.
func Open(path string) (*Index, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("opening the search index %s: %w", path, err)
	}
	x := &Index{db: db}
	err = db.Update(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bMeta); m != nil {
			if v := m.Get(kFormat); v != nil && binary.BigEndian.Uint64(v) == format {
				return nil
			}
		}
		return reset(tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the search index %s: %w", path, err)
	}
	return x, nil
}

func reset(tx *bolt.Tx) error {
	for _, b := range [][]byte{bMeta, bDocs, bByInstitution, bByPerson, bByResource, bByType, bByStream, bByDay} {
		if tx.Bucket(b) != nil {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	return tx.Bucket(bMeta).Put(kFormat, u64(format))
}

// Reset empties the index, for a rebuild from zero.
func (x *Index) Reset() error { return x.db.Update(reset) }

// Close closes the file.
func (x *Index) Close() error { return x.db.Close() }

// Name is the read model's stable name.
func (x *Index) Name() string { return Name }

// Position is how many entries the index holds: the next seq it needs.
func (x *Index) Position(context.Context) (uint64, error) {
	var pos uint64
	err := x.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(kPosition); v != nil {
			pos = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return pos, err
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// posting is the key of an entry (seq, on day YYYYMMDD) in a value's list.
func posting(value, day string, seq uint64) []byte {
	k := make([]byte, 0, len(value)+17)
	k = append(k, value...)
	k = append(k, 0)
	k = append(k, day...)
	return append(k, u64(seq)...)
}

// Apply indexes consecutive entries starting at the stored position and stores the new
// position, in one transaction.
func (x *Index) Apply(_ context.Context, es []*ledger.Entry) error {
	if len(es) == 0 {
		return nil
	}
	return x.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		var pos uint64
		if v := meta.Get(kPosition); v != nil {
			pos = binary.BigEndian.Uint64(v)
		}
		if es[0].Seq != pos {
			return fmt.Errorf("%w: at %d, given %d", ErrPositionMoved, pos, es[0].Seq)
		}
		docs := tx.Bucket(bDocs)
		for _, e := range es {
			h := hitOf(e)
			b, err := json.Marshal(h)
			if err != nil {
				return err
			}
			seq := u64(e.Seq)
			if err := docs.Put(seq, b); err != nil {
				return err
			}
			day := h.dayKey()
			put := func(bucket []byte, value string) error {
				if value == "" && !bytes.Equal(bucket, bByDay) {
					return nil
				}
				return tx.Bucket(bucket).Put(posting(value, day, e.Seq), nil)
			}
			for _, p := range []struct {
				b []byte
				v string
			}{{bByInstitution, h.Institution}, {bByPerson, h.Person}, {bByType, h.Type}, {bByStream, h.Stream}, {bByDay, ""}} {
				if err := put(p.b, p.v); err != nil {
					return err
				}
			}
			for _, r := range h.Resources {
				if err := put(bByResource, r); err != nil {
					return err
				}
			}
			for _, p := range h.Persons {
				if p != h.Person {
					if err := put(bByPerson, p); err != nil {
						return err
					}
				}
			}
		}
		return meta.Put(kPosition, u64(es[len(es)-1].Seq+1))
	})
}

func dayKey(day string) string {
	if len(day) != 10 {
		return ""
	}
	return day[0:4] + day[5:7] + day[8:10]
}

// noDay is the day key of an act without a day: first in every order.
const noDay = "00000000"

// dayKey is the key the hit is ordered by: its day as YYYYMMDD, or noDay.
func (h *Hit) dayKey() string {
	if k := dayKey(h.Day); k != "" {
		return k
	}
	return noDay
}

// bounds normalises q's limit and reads where its results start (its cursor, else its
// first day) and the last day key they may have; both indexes page by them.
func (q *Query) bounds() (start cursor, last string, err error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	start, resume, err := parseCursor(q.Cursor)
	if err != nil {
		return start, "", err
	}
	if !resume {
		start = cursor{day: noDay}
		if q.From != (calendar.Date{}) {
			start.day = dayKey(q.From.String())
		}
	}
	last = "99999999"
	if q.To != (calendar.Date{}) {
		last = dayKey(q.To.String())
	}
	return start, last, nil
}

// hitOf reads what the index keeps of an entry: the envelope, and the resources and
// officials its payload names in clear (an encrypted field is never indexed).
func hitOf(e *ledger.Entry) Hit {
	s := &e.Submission
	h := Hit{Seq: e.Seq, ID: s.ID, Type: s.Type, Stream: s.Stream, Institution: s.Actor.Institution, Person: s.Actor.Person,
		OccurredAt: s.OccurredAt, RecordedAt: e.RecordedAt, Hash: e.Hash.String()}
	if t := s.Time(); !t.IsZero() {
		h.Day = calendar.DateOf(t).String()
	}
	var p struct {
		Resource      string   `json:"resource"`
		OtherResource string   `json:"other_resource"`
		Output        string   `json:"output"`
		Resources     []string `json:"resources"`
		Person        string   `json:"person"`
		ApprovedBy    string   `json:"approved_by"`
	}
	_ = json.Unmarshal(s.Payload, &p) // lenient: index what is there (admitted payloads are strict)
	add := func(list *[]string, v string) {
		if v != "" && len(v) <= 200 && !contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, r := range append([]string{p.Resource, p.OtherResource, p.Output}, p.Resources...) {
		add(&h.Resources, r)
	}
	add(&h.Persons, p.Person)
	add(&h.Persons, p.ApprovedBy)
	return h
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// Query is a search: every filter given must hold (an act by or naming the person, on
// or naming the resource, …); From and To bound the act's claimed day (China time),
// inclusive; Cursor continues a previous page (Page.Next). Limit bounds the hits
// (default 50, at most 500). Visible, if set, hides what the asking principal may not
// read (the same rule as single reads).
type Query struct {
	Institution, Person, Resource, Type, Stream string
	From, To                                    calendar.Date
	Cursor                                      string
	Limit                                       int
	Visible                                     func(Hit) bool
}

// Page is one page of results, by day of the act and then by seq. Next, when set, is the opaque cursor of the next page (the search
// stopped at Limit hits, or after scanning its bound of candidates).
type Page struct {
	Hits    []Hit
	Next    string
	Scanned int
}

// ErrBadCursor: a cursor this index did not hand out.
var ErrBadCursor = errors.New("malformed search cursor")

// cursor is where a page starts: a day and a seq.
type cursor struct {
	day string // YYYYMMDD
	seq uint64
}

func parseCursor(s string) (cursor, bool, error) {
	var c cursor
	if s == "" {
		return c, false, nil
	}
	d, rest, ok := strings.Cut(s, "/")
	if !ok || len(d) != 8 || strings.Trim(d, "0123456789") != "" {
		return c, false, ErrBadCursor
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return c, false, ErrBadCursor
	}
	return cursor{day: d, seq: n}, true, nil
}

func (c cursor) String() string { return c.day + "/" + strconv.FormatUint(c.seq, 10) }

// maxScan bounds the candidates one page examines, so that a query whose filters select
// little from a large posting list still answers quickly (with a Next to go on).
const maxScan = 20_000

// Search answers q from the index.
func (x *Index) Search(_ context.Context, q Query) (Page, error) {
	var page Page
	bucket, value := q.primary()
	from, last, err := q.bounds()
	if err != nil {
		return page, err
	}
	start := posting(value, from.day, from.seq)
	prefix := append([]byte(value), 0)
	err = x.db.View(func(tx *bolt.Tx) error {
		docs := tx.Bucket(bDocs)
		c := tx.Bucket(bucket).Cursor()
		for k, _ := c.Seek(start); k != nil; k, _ = c.Next() {
			if !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+16 {
				return nil
			}
			at := cursor{day: string(k[len(prefix) : len(prefix)+8]), seq: binary.BigEndian.Uint64(k[len(prefix)+8:])}
			if at.day > last {
				return nil
			}
			page.Scanned++
			hit := false
			if v := docs.Get(u64(at.seq)); v != nil {
				var h Hit
				if err := json.Unmarshal(v, &h); err != nil {
					return fmt.Errorf("search index entry %d: %w", at.seq, err)
				}
				if q.matches(h) && (q.Visible == nil || q.Visible(h)) {
					page.Hits = append(page.Hits, h)
					hit = true
				}
			}
			if hit && len(page.Hits) == q.Limit || !hit && page.Scanned >= maxScan {
				at.seq++
				page.Next = at.String()
				return nil
			}
		}
		return nil
	})
	return page, err
}

// primary picks the posting list to walk: the filter most likely to select least, or
// every entry by day.
func (q Query) primary() ([]byte, string) {
	switch {
	case q.Stream != "":
		return bByStream, q.Stream
	case q.Resource != "":
		return bByResource, q.Resource
	case q.Person != "":
		return bByPerson, q.Person
	case q.Institution != "":
		return bByInstitution, q.Institution
	case q.Type != "" && q.From == (calendar.Date{}) && q.To == (calendar.Date{}):
		return bByType, q.Type
	}
	return bByDay, ""
}

func (q Query) matches(h Hit) bool {
	if q.Institution != "" && h.Institution != q.Institution {
		return false
	}
	if q.Person != "" && h.Person != q.Person && !contains(h.Persons, q.Person) {
		return false
	}
	if q.Resource != "" && !contains(h.Resources, q.Resource) {
		return false
	}
	if q.Type != "" && h.Type != q.Type {
		return false
	}
	if q.Stream != "" && h.Stream != q.Stream {
		return false
	}
	if !(q.From == calendar.Date{}) && h.Day < q.From.String() || !(q.To == calendar.Date{}) && h.Day > q.To.String() {
		return false
	}
	return true
}
