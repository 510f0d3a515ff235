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
	bolt "go.etcd.io/bbolt"
)

// Name is the index's stable read-model name: it keys its position.
const Name = "search"

// format is the index file's layout version; a file of another version is rebuilt.
const format = 1

var (
	bMeta = []byte("meta")
	bDocs = []byte("docs") // seq → Hit (JSON)
	// Postings: value 0x00 seq (8 bytes big-endian) → nothing, in one bucket per field.
	bByInstitution = []byte("by:institution")
	bByPerson      = []byte("by:person")
	bByResource    = []byte("by:resource")
	bByType        = []byte("by:type")
	bByStream      = []byte("by:stream")
	bByDay         = []byte("by:day") // YYYYMMDD seq

	kPosition = []byte("position")
	kFormat   = []byte("format")

	// ErrPositionMoved: an Apply did not start at the stored position (another process
	// applied first); the follower re-reads the position.
	ErrPositionMoved = errors.New("search index position moved")
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

func posting(value string, seq uint64) []byte {
	k := make([]byte, 0, len(value)+9)
	k = append(k, value...)
	k = append(k, 0)
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
			put := func(bucket []byte, value string) error {
				if value == "" {
					return nil
				}
				return tx.Bucket(bucket).Put(posting(value, e.Seq), nil)
			}
			for _, p := range []struct {
				b []byte
				v string
			}{{bByInstitution, h.Institution}, {bByPerson, h.Person}, {bByType, h.Type}, {bByStream, h.Stream}, {bByDay, dayKey(h.Day)}} {
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

// hitOf reads what the index keeps of an entry: the envelope, and the resources and
// officials its payload names in clear (an encrypted field is never indexed).
func hitOf(e *ledger.Entry) Hit {
	s := &e.Submission
	h := Hit{Seq: e.Seq, ID: s.ID, Type: s.Type, Stream: s.Stream, Institution: s.Actor.Institution, Person: s.Actor.Person,
		OccurredAt: s.OccurredAt, RecordedAt: e.RecordedAt, Hash: e.Hash.String()}
	if t := s.Time(); !t.IsZero() {
		h.Day = calendar.DateOf(t).String()
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(s.Payload, &p) == nil {
		str := func(k string) string {
			var v string
			_ = json.Unmarshal(p[k], &v)
			return v
		}
		add := func(list *[]string, v string) {
			if v != "" && len(v) <= 200 && !contains(*list, v) {
				*list = append(*list, v)
			}
		}
		for _, k := range []string{"resource", "other_resource", "output"} {
			add(&h.Resources, str(k))
		}
		var rs []string
		if json.Unmarshal(p["resources"], &rs) == nil {
			for _, r := range rs {
				add(&h.Resources, r)
			}
		}
		for _, k := range []string{"person", "approved_by"} {
			add(&h.Persons, str(k))
		}
	}
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

// Page is one page of results: ascending by seq, or, for a query that names only days,
// by day and then seq. Next, when set, is the opaque cursor of the next page (the search
// stopped at Limit hits, or after scanning its bound of candidates).
type Page struct {
	Hits    []Hit
	Next    string
	Scanned int
}

// ErrBadCursor: a cursor this index did not hand out.
var ErrBadCursor = errors.New("malformed search cursor")

// cursor is where a page starts: a seq, or for day walks a day and a seq.
type cursor struct {
	day string // YYYYMMDD, for day walks
	seq uint64
}

func parseCursor(s string, byDay bool) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	if byDay {
		d, rest, ok := strings.Cut(s, "/")
		if !ok || len(d) != 8 || strings.Trim(d, "0123456789") != "" {
			return c, ErrBadCursor
		}
		c.day, s = d, rest
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return c, ErrBadCursor
	}
	c.seq = n
	return c, nil
}

func (c cursor) String() string {
	if c.day != "" {
		return c.day + "/" + strconv.FormatUint(c.seq, 10)
	}
	return strconv.FormatUint(c.seq, 10)
}

// maxScan bounds the candidates one page examines, so that a query whose filters select
// little from a large posting list still answers quickly (with a Next to go on).
const maxScan = 20_000

// Search answers q from the index.
func (x *Index) Search(_ context.Context, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	var page Page
	bucket, value := q.primary()
	byDay := bytes.Equal(bucket, bByDay)
	from, err := parseCursor(q.Cursor, byDay)
	if err != nil {
		return page, err
	}
	err = x.db.View(func(tx *bolt.Tx) error {
		docs := tx.Bucket(bDocs)
		check := func(seq uint64) (bool, error) {
			b := docs.Get(u64(seq))
			if b == nil {
				return false, nil
			}
			var h Hit
			if err := json.Unmarshal(b, &h); err != nil {
				return false, fmt.Errorf("search index entry %d: %w", seq, err)
			}
			if !q.matches(h) || q.Visible != nil && !q.Visible(h) {
				return false, nil
			}
			page.Hits = append(page.Hits, h)
			return true, nil
		}
		// Walk the most selective posting list the query names, in order.
		var next func() (cursor, bool)
		switch {
		case bucket == nil: // no filter: every entry from the cursor
			c := docs.Cursor()
			k, _ := c.Seek(u64(from.seq))
			next = func() (cursor, bool) {
				if k == nil {
					return cursor{}, false
				}
				at := cursor{seq: binary.BigEndian.Uint64(k)}
				k, _ = c.Next()
				return at, true
			}
		case byDay:
			next = q.dayWalk(tx.Bucket(bByDay), from)
		default:
			c := tx.Bucket(bucket).Cursor()
			prefix := append([]byte(value), 0)
			k, _ := c.Seek(posting(value, from.seq))
			next = func() (cursor, bool) {
				if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
					return cursor{}, false
				}
				at := cursor{seq: binary.BigEndian.Uint64(k[len(prefix):])}
				k, _ = c.Next()
				return at, true
			}
		}
		for {
			at, ok := next()
			if !ok {
				return nil
			}
			page.Scanned++
			hit, err := check(at.seq)
			if err != nil {
				return err
			}
			if hit && len(page.Hits) == q.Limit || !hit && page.Scanned >= maxScan {
				at.seq++
				page.Next = at.String()
				return nil
			}
		}
	})
	return page, err
}

// primary picks the posting list to walk: the filter most likely to select least.
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
	case !(q.From == calendar.Date{}) || !(q.To == calendar.Date{}):
		return bByDay, ""
	case q.Type != "":
		return bByType, q.Type
	}
	return nil, ""
}

// dayWalk walks the day postings from From (or the cursor) to To: day by day, and by seq
// within a day.
func (q Query) dayWalk(b *bolt.Bucket, at cursor) func() (cursor, bool) {
	c := b.Cursor()
	start := posting("00000000", 0)
	if !(q.From == calendar.Date{}) {
		start = posting(dayKey(q.From.String()), 0)
	}
	if at.day != "" {
		start = posting(at.day, at.seq)
	}
	to := "99999999"
	if !(q.To == calendar.Date{}) {
		to = dayKey(q.To.String())
	}
	k, _ := c.Seek(start)
	return func() (cursor, bool) {
		if k == nil || len(k) != 17 || string(k[:8]) > to {
			return cursor{}, false
		}
		out := cursor{day: string(k[:8]), seq: binary.BigEndian.Uint64(k[9:])}
		k, _ = c.Next()
		return out, true
	}
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
