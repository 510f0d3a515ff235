package kinds_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
)

// snapshots are each kind's snapshot of a short random log, with the options it was made
// under.
func snapshots(t testing.TB) (map[string][]byte, report.Options) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	o := report.Options{Policy: pol, Calendar: calendar.Default()}
	log := foldtest.Random(7, 200)
	out := map[string][]byte{}
	reg := kinds.Default()
	for _, name := range reg.Names() {
		k, _ := reg.Lookup(name)
		m, err := k.New(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log {
			m.Apply(e)
		}
		if out[name], err = m.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	return out, o
}

// A snapshot a model cannot take is refused with report.ErrSnapshot, never misread: one
// of another kind, one made under another policy, one cut short, one with a flipped
// byte, one of an old format.
func TestSnapshotRefused(t *testing.T) {
	snaps, o := snapshots(t)
	other, err := policy.Parse(o.Policy, []byte(`{"versions":[{"id":"aba-2027","extends":"aba-2024-trial","title_zh":"修订版","title_en":"revised",
	  "effective_from":"2026-12-31","effective_until":"2028-12-31"}]}`), "test")
	if err != nil {
		t.Fatal(err)
	}
	reg := kinds.Default()
	for _, name := range reg.Names() {
		k, _ := reg.Lookup(name)
		b := snaps[name]
		flipped := bytes.Clone(b)
		flipped[len(b)/2] ^= 0x40
		format := bytes.Clone(b)
		format[0] = 99
		foreign := snaps["findings"]
		if name == "findings" {
			foreign = snaps["obligations"]
		}
		for what, x := range map[string][]byte{"empty": nil, "cut short": b[:len(b)-9], "flipped byte": flipped, "another format": format, "another kind": foreign} {
			m, _ := k.New(o)
			if err := m.UnmarshalBinary(x); !errors.Is(err, report.ErrSnapshot) {
				t.Errorf("%s, %s: %v", name, what, err)
			}
		}
		m, _ := k.New(report.Options{Policy: other, Calendar: o.Calendar})
		if err := m.UnmarshalBinary(b); !errors.Is(err, report.ErrSnapshot) {
			t.Errorf("%s, another policy: %v", name, err)
		}
		m, _ = k.New(o)
		if err := m.UnmarshalBinary(b); err != nil {
			t.Errorf("%s: its own snapshot: %v", name, err)
		}
	}
}

// FuzzSnapshot: whatever the bytes, restoring a model fails cleanly or succeeds, and never
// panics. The checksum refuses almost everything, so the seeds also carry inputs whose
// checksum is made right (the fuzzer then reaches the decoders behind it).
func FuzzSnapshot(f *testing.F) {
	snaps, o := snapshots(f)
	names := kinds.Default().Names()
	for i, name := range names {
		f.Add(uint8(i), snaps[name])
		f.Add(uint8(i), snaps[name][:len(snaps[name])/3])
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		k, _ := kinds.Default().Lookup(names[int(which)%len(names)])
		m, _ := k.New(o)
		_ = m.UnmarshalBinary(data)
		m, _ = k.New(o)
		_ = m.UnmarshalBinary(foldtest.Checksummed(data))
	})
}
