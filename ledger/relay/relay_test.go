package relay

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

var secret = []byte("a relay secret of more than thirty-two bytes, for tests")

// fakeSequencer records what reaches it and answers each item with a receipt at the
// next seq, or with the refusal refuse gives it.
type fakeSequencer struct {
	mu     sync.Mutex
	got    []*ledger.Signed
	refuse func(*ledger.Signed) error
}

func (f *fakeSequencer) AppendVerified(_ context.Context, items []*ledger.Signed) ([]ledger.Receipt, []error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rcs, errs := make([]ledger.Receipt, len(items)), make([]error, len(items))
	for i, s := range items {
		if f.refuse != nil {
			if errs[i] = f.refuse(s); errs[i] != nil {
				continue
			}
		}
		f.got = append(f.got, s)
		rcs[i] = ledger.Receipt{Seq: uint64(len(f.got)), StreamVersion: 7, Hash: ledger.SumEntry(s.Canonical)}
	}
	return rcs, errs
}

func (f *fakeSequencer) Limits() ledger.Limits { return ledger.DefaultLimits }

func (f *fakeSequencer) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.got) }

// events signs n distinct submissions.
func events(t testing.TB, n int) []*ledger.Signed {
	t.Helper()
	fx := ledgertest.New(t)
	k := fx.RootKey
	out := make([]*ledger.Signed, n)
	for i := range out {
		sub := ledgertest.Submission(ledgertest.Authority, k.Public().ID(), "resource/r-1", ledgertest.TypeDataCollected,
			map[string]any{"resource": "r-1", "records": i + 1, "purpose": "年度统计"})
		out[i] = ledgertest.Sign(t, k, sub)
	}
	return out
}

// deployment is a relay server over seq on a real listener and a client of it.
type deployment struct {
	seq        *fakeSequencer
	srv        *httptest.Server
	client     *Client
	sequencing atomic.Bool // the server's process is the sequencing point
	local      atomic.Bool // the client's process is
	localGot   atomic.Int64
}

func newDeployment(t testing.TB) *deployment {
	d := &deployment{seq: &fakeSequencer{}}
	d.sequencing.Store(true)
	h, err := NewServer(d.seq, secret, d.sequencing.Load, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.srv = httptest.NewServer(h)
	t.Cleanup(d.srv.Close)
	addr := strings.TrimPrefix(d.srv.URL, "http://")
	d.client, err = NewClient(Options{Secret: secret, Wait: 2 * time.Second,
		Lookup:     func(context.Context) (string, error) { return addr, nil },
		Sequencing: d.local.Load,
		Local: func(_ context.Context, items []*ledger.Signed) ([]ledger.Receipt, []error) {
			d.localGot.Add(int64(len(items)))
			return make([]ledger.Receipt, len(items)), make([]error, len(items))
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.client.Close() })
	return d
}

func TestForwardCarriesReceiptsAndRefusals(t *testing.T) {
	d := newDeployment(t)
	items := events(t, 5)
	refusal := &ledger.Problem{Kind: ledger.ErrUnauthorized, Code: "suspended", Field: "submission.actor",
		Message: "suspended", MessageZH: "已暂停", Cite: "第四十二条", CiteEN: "Art. 42"}
	is := func(s *ledger.Signed, i int) bool { return bytes.Equal(s.Canonical, items[i].Canonical) }
	d.seq.refuse = func(s *ledger.Signed) error {
		switch {
		case is(s, 1):
			return refusal
		case is(s, 3):
			return errors.Join(&ledger.Problem{Kind: ledger.ErrInvalid, Code: "a", Field: "payload.a", Message: "a", MessageZH: "甲"},
				&ledger.Problem{Kind: ledger.ErrInvalid, Code: "b", Field: "payload.b", Message: "b", MessageZH: "乙"})
		case is(s, 4):
			return errors.New("disk on fire")
		}
		return nil
	}
	rcs, errs := d.client.Forward(context.Background(), items)
	for _, i := range []int{0, 2} {
		if errs[i] != nil || rcs[i].Hash != ledger.SumEntry(items[i].Canonical) || rcs[i].StreamVersion != 7 {
			t.Errorf("item %d: %+v, %v", i, rcs[i], errs[i])
		}
	}
	if p, ok := errors.AsType[*ledger.Problem](errs[1]); !ok || *p != *refusal {
		t.Errorf("item 1: refusal %#v, want %#v", errs[1], refusal)
	}
	if ps := ledger.Problems(errs[3]); len(ps) != 2 || ps[0].Code != "a" || ps[1].Field != "payload.b" || !errors.Is(errs[3], ledger.ErrInvalid) {
		t.Errorf("item 3: %v", errs[3])
	}
	// A failure that is no refusal reaches the client as unavailable: retry.
	if !errors.Is(errs[4], ledger.ErrUnavailable) {
		t.Errorf("item 4: %v, want unavailable", errs[4])
	}
	// The submissions arrived as they were signed.
	if d.seq.count() != 2 || !bytes.Equal(d.seq.got[0].Canonical, items[0].Canonical) || !bytes.Equal(d.seq.got[0].Signature, items[0].Signature) {
		t.Errorf("the sequencer got %d items", d.seq.count())
	}
}

func TestServerRefusesWithoutTheSecret(t *testing.T) {
	d := newDeployment(t)
	body := append([]byte{formatV1}, appendItem(nil, events(t, 1)[0])...)
	for _, tc := range []struct {
		name, mac string
		status    int
	}{
		{"no MAC", "", http.StatusUnauthorized},
		{"another secret's MAC", mac([]byte(strings.Repeat("x", 40)), reqLabel, body), http.StatusUnauthorized},
		{"the MAC of another body", mac(secret, reqLabel, body[:len(body)-1]), http.StatusUnauthorized},
		{"the answer's label", mac(secret, respLabel, body), http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodPost, d.srv.URL+Path, bytes.NewReader(body))
		if tc.mac != "" {
			req.Header.Set(HeaderMAC, tc.mac)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	if d.seq.count() != 0 {
		t.Fatalf("%d submissions reached the sequencer without the secret", d.seq.count())
	}
}

func TestServerRefusesWhileNotSequencing(t *testing.T) {
	d := newDeployment(t)
	d.sequencing.Store(false)
	items := events(t, 2)
	done := make(chan []error, 1)
	go func() { _, errs := d.client.Forward(context.Background(), items); done <- errs }()
	// The client keeps trying (an election is under way) and gets through once the
	// server is the sequencing point again.
	time.Sleep(300 * time.Millisecond)
	if n := d.seq.count(); n != 0 {
		t.Fatalf("%d submissions recorded by a process that is not the sequencing point", n)
	}
	d.sequencing.Store(true)
	select {
	case errs := <-done:
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("after the election: %v", errs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the parcel was not delivered after the election")
	}
	if d.seq.count() != 2 {
		t.Fatalf("%d recorded, want 2", d.seq.count())
	}
}

func TestForwardGivesUpAsUnavailable(t *testing.T) {
	d := newDeployment(t)
	d.sequencing.Store(false) // nobody is the sequencing point for longer than Wait
	start := time.Now()
	_, errs := d.client.Forward(context.Background(), events(t, 1))
	if !errors.Is(errs[0], ledger.ErrUnavailable) {
		t.Fatalf("%v, want unavailable", errs[0])
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Fatalf("gave up after %v, before Wait", took)
	}
	if d.seq.count() != 0 {
		t.Fatal("recorded while not the sequencing point")
	}
}

func TestForwardRecordsLocallyOnceSequencing(t *testing.T) {
	d := newDeployment(t)
	d.local.Store(true)
	_, errs := d.client.Forward(context.Background(), events(t, 3))
	if errs[0] != nil || d.localGot.Load() != 3 || d.seq.count() != 0 {
		t.Fatalf("local %d, remote %d, %v", d.localGot.Load(), d.seq.count(), errs[0])
	}
}

// TestAnswerMustProveItself: an answer that does not carry the secret's MAC over the
// request's MAC and its body — a stale or forged sequencing point — is not believed.
func TestAnswerMustProveItself(t *testing.T) {
	var calls atomic.Int64
	forged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set(HeaderMAC, mac([]byte(strings.Repeat("y", 40)), respLabel))
		w.Write(appendResult(nil, ledger.Receipt{Seq: 1}, nil))
	}))
	defer forged.Close()
	c, err := NewClient(Options{Secret: secret, Wait: 300 * time.Millisecond,
		Lookup:     func(context.Context) (string, error) { return strings.TrimPrefix(forged.URL, "http://"), nil },
		Sequencing: func() bool { return false },
		Local:      func(context.Context, []*ledger.Signed) ([]ledger.Receipt, []error) { panic("not local") }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, errs := c.Forward(context.Background(), events(t, 1))
	if !errors.Is(errs[0], ledger.ErrUnavailable) || calls.Load() == 0 {
		t.Fatalf("%v after %d calls; want unavailable", errs[0], calls.Load())
	}
}

func TestSecretTooShort(t *testing.T) {
	if _, err := NewServer(&fakeSequencer{}, secret[:31], func() bool { return true }, nil); !errors.Is(err, ErrSecret) {
		t.Errorf("server: %v", err)
	}
	if _, err := NewClient(Options{Secret: secret[:31]}); !errors.Is(err, ErrSecret) {
		t.Errorf("client: %v", err)
	}
}

func TestWireRefusesMalformedBodies(t *testing.T) {
	good := append([]byte{formatV1}, appendItem(nil, events(t, 1)[0])...)
	for name, body := range map[string][]byte{
		"empty":                 {},
		"another format":        append([]byte{2}, good[1:]...),
		"cut short":             good[:len(good)-3],
		"a length past the end": append([]byte{formatV1}, 0xff, 0xff, 0x03),
	} {
		if _, _, err := decodeItems(body, ledger.DefaultLimits); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	items, errs, err := decodeItems(good, ledger.DefaultLimits)
	if err != nil || len(items) != 1 || errs[0] != nil {
		t.Fatalf("good body: %v %v", err, errs)
	}
	// A submission that is not canonical, well-formed JSON is refused on its own.
	bad := append([]byte{formatV1}, appendItem(nil, &ledger.Signed{Canonical: []byte(`{"a":1,"a":2}`), Signature: items[0].Signature})...)
	_, errs, err = decodeItems(append(bad, good[1:]...), ledger.DefaultLimits)
	if err != nil || errs[0] == nil || errs[1] != nil {
		t.Fatalf("one bad item: %v %v", err, errs)
	}
}

// BenchmarkRelay forwards parcels from 32 concurrent callers over a real loopback
// connection to a sequencing point that records nothing: what the relay itself costs,
// in CPU per submission (client and server in this one process).
func BenchmarkRelay(b *testing.B) {
	d := newDeployment(b)
	items := events(b, 64)
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	b.SetParallelism(16)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, errs := d.client.Forward(context.Background(), items[i%64:i%64+1]); errs[0] != nil {
				b.Error(errs[0])
				return
			}
			i++
			n.Add(1)
		}
	})
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) + syscall.TimevalToNsec(ru1.Stime) - syscall.TimevalToNsec(ru0.Utime) - syscall.TimevalToNsec(ru0.Stime))
	b.ReportMetric(float64(cpu.Microseconds())/float64(n.Load()), "cpu-µs/item")
}

// TestAWholeClientBatchCrosses: one caller's parcel larger than the relay's usual request
// (a client batch of large acts) is sent whole and taken whole.
func TestAWholeClientBatchCrosses(t *testing.T) {
	d := newDeployment(t)
	fx := ledgertest.New(t)
	k := fx.RootKey
	blob := strings.Repeat("x", 60<<10)
	items := make([]*ledger.Signed, 300) // about 18 MiB
	for i := range items {
		items[i] = ledgertest.Sign(t, k, ledgertest.Submission(ledgertest.Authority, k.Public().ID(), "resource/r-1",
			ledgertest.TypeDataCollected, map[string]any{"resource": "r-1", "records": i + 1, "note": blob}))
	}
	_, errs := d.client.Forward(context.Background(), items)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
	}
	if d.seq.count() != len(items) {
		t.Fatalf("%d of %d recorded", d.seq.count(), len(items))
	}
}
