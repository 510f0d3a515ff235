package accountability_test

import (
	"strconv"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/projections/accountability"
	"github.com/aba-prefecture/dataledger/projections/internal/entrytest"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// TestArt17AccountabilityShowsTheDesignatedSource (一数一源, 第十七条): every resource
// shows its designated source: the designated entry itself, the duplicate the authority
// named (obtainable by sharing), and "not designated" for the rest, even for resources
// nobody collected.
func TestArt17AccountabilityShowsTheDesignatedSource(t *testing.T) {
	type m = map[string]any
	l := &entrytest.Log{}
	for _, in := range []string{"police", "civil", "bureau"} {
		l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": in, "name_zh": in + "局", "name_en": in, "level": "prefecture", "kind": "organ", "data_authority": in == "bureau"})
	}
	l.Add("catalog.entry_registered.v1", "police", "2025-01-03", m{"resource": "hh", "title_zh": "户籍", "responsible": "police"})
	l.Add("catalog.entry_registered.v1", "civil", "2025-01-03", m{"resource": "members", "title_zh": "家庭成员", "responsible": "civil"})
	l.Add("catalog.entry_registered.v1", "civil", "2025-01-03", m{"resource": "aid", "title_zh": "救助", "responsible": "civil"})
	d := l.Add("catalog.source_designated.v1", "bureau", "2025-02-03", m{"resource": "hh", "source": "police", "duplicates": []string{"members"}, "description": "x"})
	opts := report.Options{AsOf: calendar.MustParse("2025-12-31")}
	b, err := accountability.Kind.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Entries {
		b.Apply(e)
	}
	r, err := b.Report(opts)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := foldtest.Rows(r, report.EN)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	for _, row := range rows["sources"] {
		got[row["resource"]] = row
	}
	seq := func(n uint64) string { return strconv.FormatUint(n, 10) }
	if x := got["hh"]; x["designated_source"] != "police" || x["via"] != "this entry" || x["evidence"] != seq(d.Seq) {
		t.Errorf("hh: %v", x)
	}
	if x := got["members"]; x["designated_source"] != "police" || x["designated_source_name"] != "police" || x["via"] != "a duplicate of hh: obtain it by sharing" {
		t.Errorf("members: %v", x)
	}
	if x := got["aid"]; x["designated_source"] != "not designated" || x["responsible"] != "civil" {
		t.Errorf("aid: %v", x)
	}
}
