package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/internal/bench"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/ledger/relay"
)

// relayDeployment is two ledgerd on one PostgreSQL database with one sequencing point.
type relayDeployment struct {
	urls, relays, data [2]string
	stops              [2]func() int
	secret             string
}

func newRelayDeployment(t *testing.T) *relayDeployment {
	t.Helper()
	pg := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(pg, "?") {
		sep = "&"
	}
	pg += sep + "ledger_lease=600ms"
	dir := t.TempDir()
	d := &relayDeployment{secret: filepath.Join(dir, "relay.secret")}
	if err := os.WriteFile(d.secret, []byte(strings.Repeat("0123456789abcdef", 3)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		d.data[i], d.relays[i] = filepath.Join(dir, fmt.Sprintf("fe%d", i)), freeAddr(t)
		if i > 0 {
			copyDir(t, filepath.Join(d.data[0], "keys"), filepath.Join(d.data[i], "keys"))
		}
		url, stop, _ := start(t, nil, "--data", d.data[i], "--store", pg, "--compliance-interval", "200ms",
			"--relay-listen", d.relays[i], "--relay-secret-file", d.secret)
		var once sync.Once
		var code int
		d.urls[i], d.stops[i] = url, func() int { once.Do(func() { code = stop() }); return code }
	}
	// Each front-end has exited before its data directory is removed.
	t.Cleanup(func() {
		for _, stop := range d.stops {
			stop()
		}
	})
	return d
}

// sequencer waits until exactly one of the front-ends still running (not stopped)
// reports itself the sequencing point, and returns its index.
func (d *relayDeployment) sequencer(t *testing.T, stopped int) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var on []int
		for i, u := range d.urls {
			if i != stopped && strings.Contains(scrape(t, u), "\nledger_sequencing 1\n") {
				on = append(on, i)
			}
		}
		if len(on) == 1 {
			return on[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no single front-end became the sequencing point")
	return -1
}

// TestOneSequencingPoint: of two front-ends on one database, one seals and commits what
// both admit. Acts sent to the other — an institution's enrolment, its keys, its acts —
// are verified there and recorded by the sequencing point; only it commits. An insider
// with a valid key of its own, acting for another institution through the front-end that
// forwards, is refused there with nothing written; the relay is not on the public
// listener and its own listener refuses a request without the deployment's secret.
// When the sequencing point stops, the other takes over and records.
func TestOneSequencingPoint(t *testing.T) {
	d := newRelayDeployment(t)
	seq := d.sequencer(t, -1)
	fwd := 1 - seq
	ctx := context.Background()
	fc := &client.Client{BaseURL: d.urls[fwd]}

	// Enrol two institutions and record acts, all through the front-end that forwards.
	res, err := bench.Load(ctx, fc, bench.LoadOptions{Events: 30, Concurrency: 4, Presign: true,
		Enrol: bench.Enrol{Institution: "relay-victim", RootPerson: "ledgerctl-load"}})
	if err != nil || res.Acked != 30 {
		t.Fatalf("loading through the forwarding front-end: %d acknowledged, %v", res.Acked, err)
	}
	attacker, _, err := bench.EnrolLoad(ctx, fc, bench.Enrol{Institution: "relay-attacker", RootPerson: "ledgerctl-load"})
	if err != nil {
		t.Fatal(err)
	}
	commits := func(i int) float64 {
		return metricValue(&frontEnd{addr: strings.TrimPrefix(d.urls[i], "http://")}, "ledger_batch_entries_count")
	}
	if commits(seq) == 0 || commits(fwd) != 0 {
		t.Fatalf("group commits: sequencing point %v, forwarding front-end %v; want all in the sequencing point", commits(seq), commits(fwd))
	}
	info, err := fc.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := info.Size

	// The attacker's valid key, acting for the victim, through the forwarding front-end.
	raw, err := events.Encode(&events.DataCollected{Resource: "relay-victim.water-meter-readings", Records: 1, Purpose: "冒用",
		LegalBasis: "无", Verification: []domain.Verification{domain.VerifyIDDocument}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = fc.SignAndSubmit(ctx, attacker.Key(), ledger.Submission{Stream: "resource/relay-victim.water-meter-readings",
		Type: events.DataCollectedV1, Actor: ledger.Actor{Institution: "relay-victim", Person: bench.People[0]}, Payload: raw})
	if ce, ok := errors.AsType[*client.Error](err); !ok || ce.Status != http.StatusForbidden || ce.Code != "key_not_bound" || ce.MessageZH == "" {
		t.Fatalf("another institution's key acting for the victim through the forwarding front-end: %v; want 403 key_not_bound", err)
	}
	// The relay route is not served on the public listeners.
	for _, u := range d.urls {
		resp, err := http.Post(u+relay.Path, "application/octet-stream", bytes.NewReader([]byte{1}))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s on the public listener: %d, want 404", relay.Path, resp.StatusCode)
		}
	}
	// The relay listener refuses, without the secret's MAC or with another's, even a
	// submission the attacker's own valid key signed for its own institution: on the relay
	// its signature would not be checked again.
	ownRaw, err := events.Encode(&events.DataCollected{Resource: "relay-attacker.water-meter-readings", Records: 1, Purpose: "抄表",
		LegalBasis: "《城市供水条例》第二十六条", Verification: []domain.Verification{domain.VerifyIDDocument}})
	if err != nil {
		t.Fatal(err)
	}
	own, err := ledger.SignSubmission(attacker.Key(), ledger.Submission{ID: "01900000-0000-7000-8000-0000000000aa", OccurredAt: time.Now().Format(time.RFC3339),
		Stream: "resource/relay-attacker.water-meter-readings", Type: events.DataCollectedV1,
		Actor: ledger.Actor{Institution: "relay-attacker", Person: bench.People[0], KeyID: attacker.Key().Public().ID()}, Payload: ownRaw})
	if err != nil {
		t.Fatal(err)
	}
	body := binary.AppendUvarint([]byte{1}, uint64(len(own.Canonical)))
	body = binary.AppendUvarint(append(body, own.Canonical...), uint64(len(own.Signature)))
	body = append(body, own.Signature...)
	for _, sum := range []string{"", strings.Repeat("ab", 32)} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+d.relays[seq]+relay.Path, bytes.NewReader(body))
		if sum != "" {
			req.Header.Set(relay.HeaderMAC, sum)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("relay request with MAC %q: %d, want 401", sum, resp.StatusCode)
		}
	}
	if info, err := fc.Ledger(ctx); err != nil || info.Size != size {
		t.Fatalf("refused requests wrote: size %d → %d (%v)", size, info.Size, err)
	}

	// The sequencing point stops; the other takes over and records.
	if c := d.stops[seq](); c != exitOK {
		t.Fatalf("the sequencing point drained with exit %d", c)
	}
	if now := d.sequencer(t, seq); now != fwd {
		t.Fatalf("front-end %d took over, want %d", now, fwd)
	}
	res, err = bench.Load(ctx, fc, bench.LoadOptions{Events: 10, Concurrency: 2, Presign: true,
		Enrol: bench.Enrol{Institution: "relay-after", RootPerson: "ledgerctl-load"}})
	if err != nil || res.Acked != 10 {
		t.Fatalf("after the fail-over: %d acknowledged, %v", res.Acked, err)
	}
	if commits(fwd) == 0 {
		t.Fatal("the front-end that took over committed nothing")
	}
}

// TestRelayNeedsAnAddressToAdvertise: a relay listener on every interface cannot be
// advertised as such (the others would dial 0.0.0.0): without --relay-advertise ledgerd
// refuses to start, naming the flag.
func TestRelayNeedsAnAddressToAdvertise(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "relay.secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("s", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	code := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--store", pgtest.NewDatabase(t),
		"--relay-listen", "0.0.0.0:0", "--relay-secret-file", secret}, func(string) string { return "" }, &out, nil)
	if code == exitOK || !strings.Contains(out.String(), "--relay-advertise") {
		t.Fatalf("exit %d: %s", code, out.String())
	}
}

// TestRelayFlags: --relay-listen needs the secret; the secret and the advertised address
// need the listener; a short secret, one other accounts can read, a missing one and a store
// no other front-end can share are refused before anything is created.
func TestRelayFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--relay-listen", "127.0.0.1:0"},
		{"--relay-secret-file", "x"},
		{"--relay-advertise", "10.0.0.1:9000"},
	} {
		if _, err := parseFlags(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("too short"), 0o600)
	long := filepath.Join(dir, "long")
	os.WriteFile(long, []byte(strings.Repeat("s", 40)), 0o600)
	shared := filepath.Join(dir, "shared")
	os.WriteFile(shared, []byte(strings.Repeat("s", 40)), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", filepath.Join(dir, "a"), "--relay-listen", "127.0.0.1:0", "--relay-secret-file", long}, "--store postgres"},
		{[]string{"--data", filepath.Join(dir, "b"), "--store", "postgres://nobody@127.0.0.1:1/x", "--relay-listen", "127.0.0.1:0", "--relay-secret-file", short}, "at least 32 bytes"},
		{[]string{"--data", filepath.Join(dir, "c"), "--store", "postgres://nobody@127.0.0.1:1/x", "--relay-listen", "127.0.0.1:0", "--relay-secret-file", filepath.Join(dir, "none")}, "--relay-secret-file"},
		{[]string{"--data", filepath.Join(dir, "d"), "--store", "postgres://nobody@127.0.0.1:1/x", "--relay-listen", "127.0.0.1:0", "--relay-secret-file", shared}, "chmod 600"},
	} {
		var out syncBuffer
		code := run(context.Background(), append([]string{"--listen", "127.0.0.1:0"}, tc.args...), func(string) string { return "" }, &out, nil)
		if code == exitOK || !strings.Contains(out.String(), tc.want) || strings.Contains(out.String(), "NEW") {
			t.Errorf("%q: exit %d, %q; want a refusal naming %q, before a ledger is created", tc.args, code, out.String(), tc.want)
		}
	}
}
