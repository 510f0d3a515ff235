package ledger_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// Benchmarks of the hot paths: what ingest and verification spend per event besides the
// SM2 verification itself (about 86 µs here, the figure everything is compared with).
// Sizes are realistic: a share-use event of about 700 canonical bytes, 1 KiB entries.
//
//	go test ./ledger -run '^$' -bench 'Hot|Verify|Ingest' -benchmem

// hotPayload is a typical data-handling payload.
func hotPayload(n int) map[string]any {
	return map[string]any{
		"grant": fmt.Sprintf("g-app-%05d", n%5000), "resource": "aba-health-commission.vaccination-records",
		"purpose": "入学查验接种证", "records": 1 + n%500, "system": "maerkang-city.business-system",
		"fields": []string{"name", "id_no", "vaccine", "dose"}, "basis": "catalog", "channel": "system",
	}
}

type hotKit struct {
	f     *ledgertest.Fixture
	st    *boltstore.Store
	l     *ledger.Ledger
	keys  []*crypto.PrivateKey
	insts []string
}

func newHotKit(b *testing.B) *hotKit {
	b.Helper()
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	k := &hotKit{f: ledgertest.New(b), st: st}
	k.f.Init(b, st)
	k.l = k.f.Open(b, st, ledger.Options{})
	for i := range 4 {
		inst := fmt.Sprintf("aba-county-%02d", i)
		k.keys = append(k.keys, k.f.Register(b, k.l, inst))
		k.insts = append(k.insts, inst)
	}
	return k
}

func (k *hotKit) signed(b *testing.B, n int) []*ledger.Signed {
	b.Helper()
	out := make([]*ledger.Signed, n)
	for i := range out {
		j := i % len(k.keys)
		out[i] = ledgertest.Sign(b, k.keys[j], ledgertest.Submission(k.insts[j], k.keys[j].Public().ID(),
			fmt.Sprintf("share/app-%05d", i%2000), "share.used.v1", hotPayload(i)))
	}
	return out
}

// fill appends n events concurrently and returns the stored entries' bytes.
func (k *hotKit) fill(b *testing.B, n int) {
	b.Helper()
	subs := k.signed(b, n)
	var next atomic.Int64
	done := make(chan error, 64)
	for range 64 {
		go func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if _, err := k.l.Append(context.Background(), subs[i]); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 64 {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

func (k *hotKit) entry(b *testing.B, seq uint64) []byte {
	var out []byte
	if err := k.st.Entries(context.Background(), seq, seq+1, func(r ledger.RawEntry) error {
		out = append([]byte(nil), r.Bytes...)
		return nil
	}); err != nil || out == nil {
		b.Fatalf("reading entry %d: %v", seq, err)
	}
	return out
}

func BenchmarkHotDecodeRequest(b *testing.B) {
	k := newHotKit(b)
	s := k.signed(b, 1)[0]
	body, _ := json.Marshal(ledger.Request{Submission: s.Canonical, Signature: base64.StdEncoding.EncodeToString(s.Signature)})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ledger.DecodeRequest(body, ledger.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHotParseEntry(b *testing.B) {
	k := newHotKit(b)
	k.fill(b, 8)
	e := k.entry(b, 10)
	b.SetBytes(int64(len(e)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ledger.ParseEntry(e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHotEntryHashes(b *testing.B) {
	k := newHotKit(b)
	k.fill(b, 8)
	e := k.entry(b, 10)
	b.SetBytes(int64(len(e)))
	for b.Loop() {
		ledger.SumEntry(e)
		ledger.LeafHash(e)
	}
}

func BenchmarkHotValidate(b *testing.B) {
	k := newHotKit(b)
	s := k.signed(b, 1)[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Submission.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHotSignatureVerify(b *testing.B) {
	k := newHotKit(b)
	s := k.signed(b, 1)[0]
	pub := k.keys[0].Public()
	for b.Loop() {
		if !pub.Verify(s.Canonical, s.Signature) {
			b.Fatal("bad signature")
		}
	}
}

// BenchmarkVerify is full verification per entry, on all cores: compare ns/entry with
// BenchmarkHotSignatureVerify divided by the number of cores.
func BenchmarkVerify(b *testing.B) {
	const n = 8192
	k := newHotKit(b)
	k.fill(b, n)
	k.l.Close()
	b.ResetTimer()
	var entries uint64
	for b.Loop() {
		r, err := ledger.Verify(context.Background(), k.st, ledger.VerifyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		entries += r.Entries
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(entries), "ns/entry")
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkIngest is durable ingest through Ledger.Append from many goroutines:
// verification in the callers, sealing and group commit (fsync) in the sequencer.
func BenchmarkIngest(b *testing.B) {
	k := newHotKit(b)
	subs := k.signed(b, b.N)
	var next atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := k.l.Append(context.Background(), subs[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
