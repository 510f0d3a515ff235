package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/projections/findings"
)

// TestComplianceMetrics: an act that breaks an obligation (a collection outside the
// institution's catalog, F3, 第十七条) shows up as an open finding once the follower has
// folded it, and the follower's position reaches the log's size. Before it, the
// institution's finding series exist at 0 from its registration on (so that increase()
// counts the first finding). With --metrics-listen the per-institution series are served
// there only; the public /metrics keeps the rest.
func TestComplianceMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	maddr := freeAddr(t)
	url, stop, logs := start(t, map[string]string{"LEDGER_DATA": dir, "LEDGER_COMPLIANCE_INTERVAL": "50ms", "LEDGER_METRICS_LISTEN": maddr})
	ctx := context.Background()
	c := client.New(url)
	root, err := datadir.RootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := crypto.GenerateKey()
	if err := c.Enrol(ctx, client.Enrolment{Root: root, RootPerson: "operator", Institution: "aba-stats", Key: key, Person: "tjj-li.na"}); err != nil {
		t.Fatal(err)
	}
	collect := func(resource string) {
		t.Helper()
		p := &events.DataCollected{Resource: resource, Records: 12, Purpose: "经济运行监测", LegalBasis: "《中华人民共和国统计法》"}
		ty, _ := events.Lookup("data.collected.v1")
		stream, err := ty.StreamFor("aba-stats", p)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := events.Encode(p)
		if _, _, err := c.SignAndSubmit(ctx, key, ledger.Submission{Stream: stream, Type: "data.collected.v1",
			Actor: ledger.Actor{Institution: "aba-stats", Person: "tjj-li.na"}, Payload: raw}); err != nil {
			t.Fatal(err)
		}
	}
	scrape := func(u string) string {
		t.Helper()
		resp, err := http.Get(u + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	metrics := func() string { return scrape("http://" + maddr) }
	waitFor := func(want ...string) string {
		t.Helper()
		var m string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if m = metrics(); containsAll(m, want) {
				return m
			}
		}
		t.Fatalf("metrics never showed %q:\n%s\nlogs:\n%s", want, grepLines(m, "ledger_"), logs)
		return ""
	}

	size := func() uint64 {
		i, err := c.Ledger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return i.Size
	}
	m := waitFor("ledger_compliance_position "+strconv.FormatUint(size(), 10),
		`ledger_findings_raised_total{article="17",institution="aba-stats",rule="F3"} 0`,
		`ledger_obligations_overdue{article="16",deadline="D1",institution="aba-stats"} 0`,
		`ledger_institution_info{county="prefecture",institution="aba-stats"} 1`,
		`ledger_emergency_data{institution="aba-stats",state="pending"} 0`,
		`ledger_suspended_parties{party_kind="natural_person"} 0`,
		`ledger_emergencies{state="overdue"} 0`)
	for _, l := range strings.Split(grepLines(m, "ledger_findings"), "\n") {
		if !strings.HasSuffix(l, " 0") {
			t.Fatalf("a finding before any act: %s", l)
		}
	}
	if pub := scrape(url); strings.Contains(pub, "institution=") || !strings.Contains(pub, "ledger_compliance_position ") ||
		!strings.Contains(pub, `ledger_appends_total{code="key_not_bound",outcome="refused"} 0`) {
		t.Fatalf("public /metrics with --metrics-listen: want no per-institution series, the rest kept:\n%s", grepLines(pub, "ledger_"))
	}
	collect("aba-stats.unlisted-survey")
	waitFor(`ledger_findings_open{article="17",institution="aba-stats",rule="F3"} 1`,
		`ledger_findings_raised_total{article="17",institution="aba-stats",rule="F3"} 1`,
		"ledger_compliance_position "+strconv.FormatUint(size(), 10))
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, logs)
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestArticleOf(t *testing.T) {
	for _, c := range []struct {
		cites []string
		want  string
	}{
		{[]string{"第四十一条第(一)项", "第十六条"}, "16"},
		{[]string{"第四十一条第(一)项", "第十二条", "第十三条"}, "12"},
		{[]string{"第四十一条"}, "41"},
		{[]string{"第四十二条"}, "42"},
		{[]string{"第二十五条"}, "25"},
		{nil, ""},
	} {
		if got := articleOf(c.cites); got != c.want {
			t.Errorf("articleOf(%q) = %q, want %q", c.cites, got, c.want)
		}
	}
}

// A deadline finding is labelled with the article that sets the missed deadline: F9
// cites 第二十五条 and 第三十三条, and which one was breached depends on the deadline.
func TestFindingArticle(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := newComplianceFollower(nil, pol)
	v := pol.Versions()[0]
	cites := []findings.Citation{findings.Cite("第四十一条第(六)项"), findings.Cite("第二十五条"), findings.Cite("第三十三条")}
	for dl, want := range map[string]string{"D5": "25", "D6": "33", "D7": "33", "": "25"} {
		x := &findings.Finding{Rule: "F9", Policy: v.ID, Deadline: dl, Cites: cites}
		if got := f.findingArticle(x); got != want {
			t.Errorf("F9 with deadline %q: article %q, want %q", dl, got, want)
		}
	}
}

// An F18 against an outside party is labelled with the registered institution whose act
// recorded the access, never with the party's id (personal data); a suspended
// institution keeps its own id.
func TestLabelInstitution(t *testing.T) {
	reg := registry.New()
	b, _ := json.Marshal(map[string]string{"institution": "county-health", "name_zh": "县卫健委", "name_en": "County health", "level": "county", "kind": "organ", "county": "wenchuan"})
	reg.Apply(&ledger.Entry{Seq: 0, Submission: ledger.Submission{Type: events.InstitutionRegisteredV1,
		Actor: ledger.Actor{Institution: "aba-data-bureau"}, Payload: b}})
	if !reg.Registered("county-health") {
		t.Fatal("the fixture's registration did not fold")
	}
	party := &findings.Finding{Rule: "F18", Institution: "org-915132", Evidence: []findings.Evidence{{Institution: "county-health"}}}
	inst := &findings.Finding{Rule: "F18", Institution: "county-health"}
	lost := &findings.Finding{Rule: "F18", Institution: "person-1"}
	for _, c := range []struct {
		x    *findings.Finding
		want string
	}{{party, "county-health"}, {inst, "county-health"}, {lost, "unregistered"}} {
		if got := labelInstitution(reg, c.x); got != c.want {
			t.Errorf("F18 against %s: label %q, want %q", c.x.Institution, got, c.want)
		}
	}
}
