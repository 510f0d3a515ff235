package fold

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Folder is what a Model needs of a kind's fold: it folds entries (an error is a problem
// to keep, the entry is folded anyway), it counts days by a registry, and it writes and
// reads its whole state.
type Folder interface {
	Apply(e *ledger.Entry) error
	Registry() *registry.State
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Render renders a kind's report from its fold on o; notes are the problems the fold
// kept, for the report's notes.
type Render func(o report.Options, notes []report.Text) (*report.Report, error)

// Model is report.Model for a kind's fold: the fold, the problems it reported, and
// Through. Every kind's model is one, so that the snapshot envelope, the policy check
// and Through are written once.
type Model struct {
	kind     string
	o        report.Options
	fold     Folder
	render   Render
	problems report.Problems
	through  calendar.Date
}

// NewModel is the model of kind (report.Kind.Name) over f, which judges with o.Policy
// and o.Calendar; render draws its reports.
func NewModel(kind string, o report.Options, f Folder, render Render) *Model {
	return &Model{kind: kind, o: report.Options{Policy: o.Policy, Calendar: o.Calendar}, fold: f, render: render}
}

// Apply folds e, keeps the problem it reports, and moves Through to the day e counts on
// (migration declarations excepted: every report folds them, whatever their day).
func (m *Model) Apply(e *ledger.Entry) {
	m.problems.Keep(m.fold.Apply(e))
	if e.Submission.Type == events.MigrationDeclaredV1 {
		return
	}
	if d := m.fold.Registry().TimeOf(e).Effective; m.through.Before(d) {
		m.through = d
	}
}

// Through is the latest day an act folded so far counts on.
func (m *Model) Through() calendar.Date { return m.through }

// Report renders the report on o from the state as it stands, as of o.AsOf.
func (m *Model) Report(o report.Options) (*report.Report, error) {
	r, err := m.render(o, m.problems.Notes())
	if err != nil {
		return nil, err
	}
	if r.Kind == "" {
		r.Kind = m.kind
	}
	r.AsOf = o.AsOf
	return r, nil
}

// envelopeFormat is the first byte of a model's snapshot; the fold's own state carries
// its own format byte inside.
const envelopeFormat = 1

// envelope is a model's snapshot: what it is of and under which configuration, then
// its state.
type envelope struct {
	Kind     string
	Config   string // Fingerprint of the policy and calendar it judged with
	Problems report.Problems
	Through  calendar.Date
	Fold     []byte
}

// crc is the checksum that closes a snapshot, so that flipped bytes are refused rather
// than read as another state.
var crc = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary writes the model's whole state: the envelope, then a CRC-32C.
func (m *Model) MarshalBinary() ([]byte, error) {
	f, err := m.fold.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.kind, err)
	}
	b, err := snapshot.Marshal(envelopeFormat, envelope{Kind: m.kind, Config: Fingerprint(m.o.Policy, m.o.Calendar),
		Problems: m.problems, Through: m.through, Fold: f})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.kind, err)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crc)), nil
}

// UnmarshalBinary restores what MarshalBinary wrote into a fresh model. Every refusal
// wraps report.ErrSnapshot.
func (m *Model) UnmarshalBinary(data []byte) error {
	if err := m.unmarshal(data); err != nil {
		return fmt.Errorf("%s: %w: %w", m.kind, report.ErrSnapshot, err)
	}
	return nil
}

func (m *Model) unmarshal(data []byte) error {
	if len(data) < 5 {
		return fmt.Errorf("snapshot of %d bytes", len(data))
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crc) != binary.BigEndian.Uint32(data[len(data)-4:]) {
		return fmt.Errorf("checksum mismatch: the snapshot is corrupt")
	}
	var env envelope
	if err := snapshot.Unmarshal(body, "model", envelopeFormat, &env); err != nil {
		return err
	}
	if env.Kind != m.kind {
		return fmt.Errorf("a snapshot of %q, not %q", env.Kind, m.kind)
	}
	if want := Fingerprint(m.o.Policy, m.o.Calendar); env.Config != want {
		return fmt.Errorf("folded under another policy or calendar (%.12s, now %.12s)", env.Config, want)
	}
	if err := m.fold.UnmarshalBinary(env.Fold); err != nil {
		return err
	}
	m.problems, m.through = env.Problems, env.Through
	return nil
}

// Fingerprint names a policy set and a calendar (every working day of every year it
// covers, operator overrides included): a state folded under one is not the state
// another would fold (due days, effective days, versions), so a snapshot made under
// another is refused. "" for neither (a kind that counts days with the embedded
// defaults).
func Fingerprint(pol *policy.Set, cal *calendar.Calendar) string {
	if pol == nil && cal == nil {
		return ""
	}
	var v struct {
		Versions []*policy.Version
		Years    []int
		Workdays []string // per covered year, one bit per day from 1 January
	}
	if pol != nil {
		v.Versions = pol.Versions()
	}
	if cal != nil {
		v.Years = cal.CoveredYears()
		for _, y := range v.Years {
			v.Workdays = append(v.Workdays, workdays(cal, y))
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "unprintable: " + err.Error() // never equal to a real fingerprint
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Quiet is a fold whose Apply has no problem to report (it judges no deadline while
// folding).
type Quiet interface {
	Apply(e *ledger.Entry)
	Registry() *registry.State
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// NoProblems is q as a Folder.
func NoProblems(q Quiet) Folder { return quiet{q} }

type quiet struct{ Quiet }

// QuietOf is the fold NoProblems wrapped, for a kind's accessor (emergencies.RegisterOf).
func QuietOf(f Folder) (Quiet, bool) {
	q, ok := f.(quiet)
	return q.Quiet, ok
}

func (q quiet) Apply(e *ledger.Entry) error {
	q.Quiet.Apply(e)
	return nil
}

// Folder returns the kind's fold, for readers of its state other than reports (through
// an accessor of the kind's package, such as findings.FoldOf). They must only read it.
func (m *Model) Folder() Folder { return m.fold }

// workdays is year y of cal as a hex bitmap of its working days.
func workdays(cal *calendar.Calendar, y int) string {
	bits := make([]byte, 46) // 366 days
	d := calendar.Date{Year: y, Month: 1, Day: 1}
	for i := 0; d.Year == y; i, d = i+1, d.AddDays(1) {
		if w, err := cal.IsWorkday(d); err == nil && w {
			bits[i/8] |= 1 << (i % 8)
		}
	}
	return hex.EncodeToString(bits)
}
