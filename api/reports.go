package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Reports serves GET /v1/reports/{kind}: the report kinds of `ledgerctl report`, built
// from the running ledger, for the roles each kind is for (auth.Role.Reports; the access
// middleware checks it and audits every request).
type Reports struct {
	Kinds    *report.Registry
	Policy   *policy.Set
	Calendar *calendar.Calendar
	// Now is the clock for the default as-of day (default time.Now).
	Now func() time.Time
}

var reportTypes = map[report.Format]string{
	report.FormatJSON:  "application/json; charset=utf-8",
	report.FormatCSV:   "text/csv; charset=utf-8",
	report.FormatHTML:  "text/html; charset=utf-8",
	report.FormatTable: "text/plain; charset=utf-8",
	report.FormatXLSX:  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// reportQuery reads as_of, year, format, lang, resource and all; a bad value is a 400
// naming the parameter.
func (rp *Reports) reportQuery(r *http.Request) (report.Options, report.Format, report.Lang, bool, error) {
	q := r.URL.Query()
	now := time.Now
	if rp.Now != nil {
		now = rp.Now
	}
	o := report.Options{AsOf: calendar.DateOf(now()), Policy: rp.Policy, Calendar: rp.Calendar, Resource: q.Get("resource")}
	bad := func(param, en, zh string) error {
		return problem(ledger.ErrInvalid, "bad_query", param, en, zh)
	}
	for k := range q {
		switch k {
		case "as_of", "year", "format", "lang", "resource", "all":
		default:
			return o, "", "", false, bad(k, "unknown query parameter "+strconv.Quote(k)+" (as_of, year, format, lang, resource, all)", "未知查询参数 "+strconv.Quote(k))
		}
	}
	if s := q.Get("as_of"); s != "" {
		d, err := calendar.Parse(s)
		if err != nil {
			return o, "", "", false, bad("as_of", "as_of must be a day, YYYY-MM-DD", "as_of 须为日期 YYYY-MM-DD")
		}
		o.AsOf = d
	}
	if s := q.Get("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || y < 2000 || y > 9999 {
			return o, "", "", false, bad("year", "year must be a year such as 2025", "year 须为年份，如 2025")
		}
		o.Year = y
	}
	format := report.FormatJSON
	if s := q.Get("format"); s != "" {
		f, err := report.ParseFormat(s)
		if err != nil {
			return o, "", "", false, bad("format", err.Error(), "format 须为 json、csv、html、table 或 xlsx")
		}
		format = f
	}
	lang := report.ZH
	if s := q.Get("lang"); s != "" {
		l, err := report.ParseLang(s)
		if err != nil {
			return o, "", "", false, bad("lang", err.Error(), "lang 须为 zh 或 en")
		}
		lang = l
	}
	all := false
	if s := q.Get("all"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return o, "", "", false, bad("all", "all must be true or false", "all 须为 true 或 false")
		}
		all = b
	}
	return o, format, lang, all, nil
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	rp := s.cfg.Reports
	k, err := rp.Kinds.Lookup(r.PathValue("kind"))
	if err != nil {
		s.refuse(w, r, problem(ledger.ErrNotFound, "unknown_report", "kind",
			"no report kind "+strconv.Quote(r.PathValue("kind"))+" ("+strings.Join(rp.Kinds.Names(), ", ")+")",
			"无此报告类型（"+strings.Join(rp.Kinds.Names(), "、")+"）"))
		return
	}
	o, format, lang, all, err := rp.reportQuery(r)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	// What the options ask for is judged before any entry is read: a kind not built, a
	// resource the report cannot narrow to, are the client's to fix (400).
	if _, err := k.New(o); err != nil {
		s.refuse(w, r, problem(ledger.ErrInvalid, "report_unavailable", "", err.Error(), "无法按所给参数生成该报告："+err.Error()))
		return
	}
	rep, err := report.Build(r.Context(), s.l.Store(), k, o)
	if err != nil {
		s.refuse(w, r, fmt.Errorf("building the %s report: %w", k.Name, err))
		return
	}
	var opts []report.Option
	if all {
		opts = append(opts, report.All())
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, rep, format, lang, opts...); err != nil {
		s.refuse(w, r, fmt.Errorf("rendering the %s report: %w", k.Name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", reportTypes[format])
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	if format == report.FormatXLSX || format == report.FormatCSV {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, k.Name, o.AsOf, format))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
