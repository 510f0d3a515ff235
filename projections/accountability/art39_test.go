package accountability_test

import (
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/accountability"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/internal/entrytest"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// TestArt39ContractAmendments (第三十九条): a contract signed by the book is amended
// three times: a renewal (widens nothing: no review needed), a widening to a new system
// and data after a fresh review with updated confidentiality terms (none owed), and a
// widening of the provider's staff without either (F14). The accountability view lists
// the contract's history act by act.
func TestArt39ContractAmendments(t *testing.T) {
	type m = map[string]any
	l := &entrytest.Log{}
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "mk", "name_zh": "马尔康市", "level": "county", "kind": "organ", "county": "maerkang"})
	l.Add("outsourcing.security_reviewed.v1", "mk", "2025-02-03", m{"contract": "c1", "provider": "p", "passed": true, "report": m{"id": "r1"}})
	l.Add("outsourcing.contract_signed.v1", "mk", "2025-02-05", m{"contract": "c1", "provider": "p", "scope": "运维", "systems": []string{"sys.a"},
		"confidentiality_agreement": m{"id": "n1"}, "liability_defined": true})
	l.Add("outsourcing.contract_amended.v1", "mk", "2025-04-01", m{"contract": "c1", "provider": "p", "amendment": "a1", "term_until": "2026-12-31", "renewal": true, "reason": "续签"})
	l.Add("outsourcing.security_reviewed.v1", "mk", "2025-05-06", m{"contract": "c1", "provider": "p", "passed": true, "report": m{"id": "r2"}})
	l.Add("outsourcing.contract_amended.v1", "mk", "2025-05-08", m{"contract": "c1", "provider": "p", "amendment": "a2", "systems": []string{"sys.a", "sys.b"},
		"data": []string{"res.x"}, "provider_staff": 4, "confidentiality_agreement": m{"id": "n2"}, "reason": "扩大运维范围"})
	wide := l.Add("outsourcing.contract_amended.v1", "mk", "2025-06-02", m{"contract": "c1", "provider": "p", "amendment": "a3", "provider_staff": 9, "reason": "增派人员"})
	pol, _ := policy.Default()
	f := findings.New(pol, calendar.Default())
	opts := report.Options{AsOf: calendar.MustParse("2025-12-31")}
	b, _ := accountability.Kind.New(opts)
	for _, e := range l.Entries {
		_ = f.Apply(e)
		b.Apply(e)
	}
	var f14 []findings.Finding
	for _, x := range f.Findings(calendar.MustParse("2025-12-31")) {
		if x.Rule == "F14" {
			f14 = append(f14, x)
		}
	}
	if len(f14) != 1 || f14[0].Evidence[0].Seq != wide.Seq || !strings.Contains(f14[0].NoteEN, "provider staff from 4 to 9") ||
		!strings.Contains(f14[0].NoteEN, "no passed security review") || !strings.Contains(f14[0].NoteEN, "no updated confidentiality agreement") {
		t.Errorf("F14: %+v", f14)
	}
	r, _ := b.Report(opts)
	rows, _ := foldtest.Rows(r, report.EN)
	var acts []string
	for _, row := range rows["contracts"] {
		if row["contract"] == "c1" {
			acts = append(acts, row["act_code"]+" "+row["day"])
		}
	}
	want := "outsourcing.security_reviewed.v1 2025-02-03|outsourcing.contract_signed.v1 2025-02-05|outsourcing.contract_amended.v1 2025-04-01|" +
		"outsourcing.security_reviewed.v1 2025-05-06|outsourcing.contract_amended.v1 2025-05-08|outsourcing.contract_amended.v1 2025-06-02"
	if strings.Join(acts, "|") != want {
		t.Errorf("history:\n%s\nwant\n%s", strings.Join(acts, "|"), want)
	}
}
