package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

// TestBundleFromRunningLedgerd: while ledgerd holds the store locked, "ledgerctl export
// --server" takes an evidence bundle out of it; the bundle verifies offline with
// "ledgerctl verify-bundle", and one changed byte makes it fail; the export is an entry
// of the ledger afterwards, naming the range and the token's person; a role that may
// not export, an unknown stream and a bad range are refused with nothing recorded. It
// runs the real ledgerctl binary against the real ledgerd.
func TestBundleFromRunningLedgerd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs ledgerctl")
	}
	tmp := t.TempDir()
	ledgerctl := buildBinary(t, tmp, "ledgerctl")
	dir := filepath.Join(tmp, "data")
	url, stop, logs := start(t, nil, "--data", dir, "--checkpoint-interval", "10ms")
	id := seed(t, client.New(url), dir)

	tokens := map[string]string{}
	f := &auth.File{}
	for _, c := range []struct {
		who  string
		role auth.Role
	}{{"officer-1", auth.RoleSecurityOfficer}, {"reviewer-1", auth.RoleReviewer}} {
		tok, cred, err := auth.NewToken(c.role, "", c.who, time.Time{}, auth.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Add(cred); err != nil {
			t.Fatal(err)
		}
		tokens[c.who] = tok
	}
	if err := auth.WriteFile(filepath.Join(dir, "access", "credentials.json"), f); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); get(t, http.DefaultClient, url+"/v1/events/"+id, tokens["officer-1"]) != 200; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("ledgerd does not take the officer's token")
		}
	}
	if _, err := datadir.OpenStore(dir); err == nil {
		t.Fatal("the store opened while ledgerd runs: the lock this endpoint works around is gone")
	}
	size := func() uint64 {
		var info client.LedgerInfo
		if c := getJSON(t, url+"/v1/ledger", &info); c != 200 {
			t.Fatalf("GET /v1/ledger: %d", c)
		}
		return info.Size
	}
	run := func(env []string, args ...string) (int, string, string) {
		cmd := exec.Command(ledgerctl, args...)
		cmd.Env = append(os.Environ(), append([]string{"LEDGER_TOKEN=", "LEDGER_DATA="}, env...)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), o.String(), e.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, o.String(), e.String()
	}

	before := size()
	refusals := []struct {
		name string
		env  []string
		args []string
		want string // in the one line on stderr
	}{
		{"reviewer", nil, []string{"--token", tokens["reviewer-1"], "--stream", "resource/r-0001"}, "403 forbidden"},
		{"no token", nil, []string{"--stream", "resource/r-0001"}, "401"},
		{"unknown stream", []string{"LEDGER_TOKEN=" + tokens["officer-1"]}, []string{"--stream", "resource/none"}, "404 empty_selection"},
		{"reversed range", []string{"LEDGER_TOKEN=" + tokens["officer-1"]}, []string{"--seq", "2-1"}, "400 bad_range"},
		{"range beyond the log", []string{"LEDGER_TOKEN=" + tokens["officer-1"]}, []string{"--seq", "1-999"}, "400 bad_range"},
		{"--by with --server", []string{"LEDGER_TOKEN=" + tokens["officer-1"]}, []string{"--stream", "resource/r-0001", "--by", "someone"}, "--by"},
	}
	for _, tc := range refusals {
		out := filepath.Join(tmp, "refused.json")
		code, _, errOut := run(tc.env, append([]string{"export", "--server", url, "--out", out, "--reason", "case 1"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 with %q on one line", tc.name, code, errOut, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a refused export left %s", tc.name, out)
		}
		if s := size(); s != before {
			t.Fatalf("%s: a refused export recorded something: size %d, was %d", tc.name, s, before)
		}
	}

	out := filepath.Join(tmp, "case-1.json")
	code, stdout, errOut := run(nil, "export", "--server", url, "--token", tokens["officer-1"], "--out", out,
		"--stream", "resource/r-0001", "--reason", "case 2026-017")
	if code != 0 {
		t.Fatalf("export --server: exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "by officer-1") {
		t.Errorf("the output does not name the recorded exporter: %s", stdout)
	}
	if s := size(); s != before+1 {
		t.Fatalf("size %d after the export, want %d", s, before+1)
	}
	pin := filepath.Join(datadir.Paths{Dir: dir}.Keys(), "ledger.pub")
	if code, o, e := run(nil, "verify-bundle", "--ledger-pub", pin, out); code != 0 {
		t.Fatalf("verify-bundle: exit %d\n%s%s", code, o, e)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// One byte: a digit of the first entry's hash.
	i := bytes.Index(raw, []byte(`"hash": "`)) + len(`"hash": "`)
	if raw[i] == '0' {
		raw[i] = '1'
	} else {
		raw[i] = '0'
	}
	bad := filepath.Join(tmp, "case-1-edited.json")
	if err := os.WriteFile(bad, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, o, e := run(nil, "verify-bundle", "--ledger-pub", pin, bad); code != 1 {
		t.Fatalf("verify-bundle on an edited bundle: exit %d\n%s%s", code, o, e)
	}

	if c := stop(); c != exitOK {
		t.Fatalf("exit %d\n%s", c, logs)
	}
	// The export is in the ledger itself, as the offline export records it.
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var exp *ledger.Entry
	if err := st.Entries(t.Context(), before, before+1, func(r ledger.RawEntry) error {
		exp, err = ledger.ParseEntry(bytes.Clone(r.Bytes))
		return err
	}); err != nil || exp == nil {
		t.Fatalf("reading entry %d: %v", before, err)
	}
	var p bundle.ExportPayload
	if err := json.Unmarshal(exp.Submission.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if exp.Submission.Type != bundle.TypeExported || exp.Submission.Stream != bundle.ExportStream || exp.Submission.Actor.Person != "officer-1" ||
		p.Selection.Stream != "resource/r-0001" || p.Entries != 1 || p.Reason != "case 2026-017" {
		t.Fatalf("entry %d: %s on %s by %+v, payload %+v", before, exp.Submission.Type, exp.Submission.Stream, exp.Submission.Actor, p)
	}
	if !strings.Contains(logs.String(), `"msg":"bundle exported"`) {
		t.Error("the export is not logged")
	}
}
