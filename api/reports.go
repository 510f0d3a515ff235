package api

import (
	"bytes"
	"context"
	"errors"
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
	// Read, if set, answers a report from the kind's read model (ledgerd:
	// projections/readmodel.Set) once it has folded the size entries the ledger held
	// when the request came; without it every request folds the log (report.Build).
	// An error wrapping ErrReadModelBehind is answered 503: try again shortly.
	Read func(ctx context.Context, kind string, size uint64, o report.Options) (*report.Report, error)
	// Wait bounds how long a request waits for a read model to catch up (default 20 s).
	Wait time.Duration
}

// ErrReadModelBehind says a read model has not yet folded the log up to where the
// request saw it (a rebuild at start-up); Reports.Read wraps it.
var ErrReadModelBehind = errors.New("read model behind the log")

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
	rep, err := rp.build(r.Context(), s.l, k, o)
	if errors.Is(err, ErrReadModelBehind) {
		s.refuse(w, r, problem(ErrUnavailable, "read_model_behind", "",
			"the report's read model is still catching up with the log (a rebuild after an upgrade or restore); try again in a minute: "+err.Error(),
			"该报告的读模型仍在追赶账本（升级或恢复后的重建），请稍后重试"))
		return
	}
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

// build answers the report from the read model when there is one, else by folding the
// log.
func (rp *Reports) build(ctx context.Context, l *ledger.Ledger, k report.Kind, o report.Options) (*report.Report, error) {
	if rp.Read == nil {
		return report.Build(ctx, l.Store(), k, o)
	}
	wait := rp.Wait
	if wait <= 0 {
		wait = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return rp.Read(ctx, k.Name, l.Size(), o)
}
