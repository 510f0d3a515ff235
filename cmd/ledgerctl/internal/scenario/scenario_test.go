package scenario

import (
	"reflect"
	"testing"
	"time"
)

func TestGenerate(t *testing.T) {
	end := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	tl := Generate(Config{Events: 2000, Seed: 7, End: end})
	if n := len(tl.Events); n < 2000 || n > 2010 {
		t.Fatalf("%d events, want about 2000", n)
	}
	if len(tl.Registry) != len(Institutions) {
		t.Fatalf("%d registry acts, want one per institution (%d)", len(tl.Registry), len(Institutions))
	}
	known := map[string]bool{}
	for _, ty := range Types {
		known[ty.Name] = true
	}
	inst := map[string]bool{}
	for _, in := range Institutions {
		inst[in.ID] = true
	}
	for i, e := range tl.Events {
		if !known[e.Type] {
			t.Fatalf("event %d: type %s is not in Types", i, e.Type)
		}
		if !inst[e.Institution] {
			t.Fatalf("event %d: unknown institution %s", i, e.Institution)
		}
		if !e.At.Before(end) {
			t.Fatalf("event %d occurs at %v, not before the end %v", i, e.At, end)
		}
		if i > 0 && e.At.Before(tl.Events[i-1].At) {
			t.Fatalf("event %d is out of time order", i)
		}
		if e.Parent >= i {
			t.Fatalf("event %d refers to a later event %d", i, e.Parent)
		}
		if e.Parent >= 0 && !e.At.After(tl.Events[e.Parent].At) {
			t.Fatalf("event %d does not come after its parent", i)
		}
		sub, err := e.Submission("01900000-0000-7000-8000-000000000001", "0123456789abcdef0123456789abcdef")
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Validate(); err != nil {
			t.Fatalf("event %d (%s) is not a valid submission: %v", i, e.Type, err)
		}
	}
	counts := tl.Summary()
	for _, ty := range Types {
		if ty.Name != TypeInstitutionRegistered && counts[ty.Name] == 0 {
			t.Errorf("no %s event", ty.Name)
		}
	}
	findings := map[string]bool{}
	for _, v := range tl.Violations {
		findings[v.Finding] = true
	}
	for _, f := range []string{"F1", "F7", "F9", "F10", "F12", "F14", "F16"} {
		if !findings[f] {
			t.Errorf("the storyline has no %s violation", f)
		}
	}
	again := Generate(Config{Events: 2000, Seed: 7, End: end})
	if !reflect.DeepEqual(tl, again) {
		t.Fatal("the same seed gave a different timeline")
	}
}

func TestWaves(t *testing.T) {
	tl := Generate(Config{Events: 3000, Seed: 1})
	waves := Waves(tl.Events, 256)
	in := make([]int, len(tl.Events))
	seen := 0
	for w, idx := range waves {
		for _, i := range idx {
			in[i] = w
			seen++
		}
	}
	if len(waves) < len(tl.Events)/(4*256) {
		t.Errorf("%d waves for %d events: waves are far larger than asked", len(waves), len(tl.Events))
	}
	if seen != len(tl.Events) {
		t.Fatalf("waves hold %d events, want %d", seen, len(tl.Events))
	}
	for i, e := range tl.Events {
		if e.Parent >= 0 && in[e.Parent] >= in[i] {
			t.Fatalf("event %d is in wave %d, its parent %d in wave %d", i, in[i], e.Parent, in[e.Parent])
		}
	}
}
