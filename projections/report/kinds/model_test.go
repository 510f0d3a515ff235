package kinds_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
)

// propertySeed is LEDGER_PROPERTY_SEED, or a new seed; the test prints it so that a
// failure can be replayed.
func propertySeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LEDGER_PROPERTY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("LEDGER_PROPERTY_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with LEDGER_PROPERTY_SEED=%d)", seed, seed)
	return seed
}

// memSource serves entries as a store would, in their stored (JSON) form.
type memSource []*ledger.Entry

func (s memSource) Head(context.Context) (ledger.Head, error) {
	return ledger.Head{Size: uint64(len(s))}, nil
}

func (s memSource) Entries(_ context.Context, from, to uint64, fn func(ledger.RawEntry) error) error {
	for _, e := range s[from:to] {
		sub, err := json.Marshal(e.Submission)
		if err != nil {
			return err
		}
		b := fmt.Appendf(nil, `{"prev_hash":"%064x","recorded_at":%q,"seq":%d,"signature":%q,"stream_version":1,"submission":%s}`,
			0, e.RecordedAt, e.Seq, base64.StdEncoding.EncodeToString([]byte{1}), sub)
		if err := fn(ledger.RawEntry{Seq: e.Seq, Bytes: b}); err != nil {
			return err
		}
	}
	return nil
}

// outcome is a report as JSON, or the error it failed with: what two models must agree on.
func outcome(r *report.Report, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return "unmarshalable: " + err.Error()
	}
	return string(b)
}

func newModel(t *testing.T, k report.Kind, o report.Options) report.Model {
	t.Helper()
	m, err := k.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fold(m report.Model, es []*ledger.Entry) report.Model {
	for _, e := range es {
		m.Apply(e)
	}
	return m
}

func snapshot(t *testing.T, m report.Model) []byte {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// asked are the reports compared: several days (before, on and after Through), the
// as-of day's year and the one before (the assessment), all resources and one.
func asked(r *rand.Rand, base report.Options, through calendar.Date) []report.Options {
	first := calendar.MustParse("2025-01-06")
	span := int(through.Start().Sub(first.Start()).Hours() / 24)
	days := []calendar.Date{through, through.AddDays(30), calendar.MustParse("2026-12-30")}
	for range 3 {
		days = append(days, first.AddDays(r.IntN(max(span, 1))))
	}
	var out []report.Options
	for _, d := range days {
		for _, v := range []report.Options{{Year: 0}, {Year: d.Year - 1}, {Resource: "health.records"}} {
			o := base
			o.AsOf, o.Year, o.Resource = d, v.Year, v.Resource
			out = append(out, o)
		}
	}
	return out
}

// TestModelsResume is the read models' property: for every kind, a model folded up to a
// random position, written, restored into a fresh model and folded on is the model an
// uninterrupted fold makes, byte for byte and report for report, on every day asked;
// a report is the same when asked twice and when asked from several goroutines at once;
// and on a day not before Through the live model answers what a fold from zero
// (report.Build) answers.
func TestModelsResume(t *testing.T) {
	seed := propertySeed(t)
	n := 600 // LEDGER_PROPERTY_N for a longer log
	if testing.Short() {
		n = 250
	}
	if s := os.Getenv("LEDGER_PROPERTY_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 2 {
			t.Fatalf("LEDGER_PROPERTY_N: %q", s)
		}
		n = v
	}
	log := foldtest.Random(seed, n)
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	base := report.Options{Policy: pol, Calendar: calendar.Default()}
	reg := kinds.Default()
	for _, name := range reg.Names() {
		t.Run(name, func(t *testing.T) {
			k, _ := reg.Lookup(name)
			r := rand.New(rand.NewPCG(seed, uint64(len(name))))
			whole := fold(newModel(t, k, base), log)
			want := snapshot(t, whole)
			if again := snapshot(t, whole); !bytes.Equal(again, want) {
				t.Fatal("two snapshots of one state differ")
			}
			opts := asked(r, base, whole.Through())
			reports := make([]string, len(opts))
			for i, o := range opts {
				reports[i] = outcome(whole.Report(o))
				if again := outcome(whole.Report(o)); again != reports[i] {
					t.Fatalf("as of %s (year %d, resource %q): asked twice, two reports", o.AsOf, o.Year, o.Resource)
				}
			}
			for _, cut := range []int{0, 1 + r.IntN(len(log)-1), 1 + r.IntN(len(log)-1), len(log)} {
				part := fold(newModel(t, k, base), log[:cut])
				resumed := newModel(t, k, base)
				if err := resumed.UnmarshalBinary(snapshot(t, part)); err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
				if resumed.Through() != part.Through() {
					t.Errorf("cut %d: Through %s restored as %s", cut, part.Through(), resumed.Through())
				}
				fold(resumed, log[cut:])
				if !bytes.Equal(snapshot(t, resumed), want) {
					t.Errorf("cut %d: the resumed model's state differs from the uninterrupted one's", cut)
				}
				for i, o := range opts {
					if got := outcome(resumed.Report(o)); got != reports[i] {
						t.Errorf("cut %d, as of %s (year %d, resource %q): the resumed model reports otherwise", cut, o.AsOf, o.Year, o.Resource)
					}
				}
			}
			for i, o := range opts {
				if o.AsOf.Before(whole.Through()) || o.AsOf != whole.Through() && o.Year == 0 && o.Resource == "" {
					continue // a fold from zero is slow: the variants on Through, one on each later day
				}
				if got := outcome(report.Build(context.Background(), memSource(log), k, o)); got != reports[i] {
					t.Errorf("as of %s (year %d, resource %q), not before Through %s: the live model and a fold from zero differ", o.AsOf, o.Year, o.Resource, whole.Through())
				}
			}
			concurrently(t, whole, opts, reports, want)
		})
	}
}

// concurrently asks m for every report, its snapshot and Through from several
// goroutines at once (nothing else writes to it): all read-only, so under -race any
// write a Report makes is caught, and every answer is the one asked alone.
func concurrently(t *testing.T, m report.Model, opts []report.Options, reports []string, snap []byte) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 4 {
		wg.Go(func() {
			for i := range opts {
				j := (i + g*len(opts)/4) % len(opts)
				if outcome(m.Report(opts[j])) != reports[j] {
					errs <- fmt.Sprintf("as of %s: another report when asked concurrently", opts[j].AsOf)
				}
			}
			if b, err := m.MarshalBinary(); err != nil || !bytes.Equal(b, snap) {
				errs <- "another snapshot when taken concurrently"
			}
			_ = m.Through()
		})
	}
	wg.Wait()
	close(errs)
	var msgs []string
	for e := range errs {
		msgs = append(msgs, e)
	}
	slices.Sort(msgs)
	for _, e := range slices.Compact(msgs) {
		t.Error(e)
	}
}
