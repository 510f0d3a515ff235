package main

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/internal/atomicfile"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() { register(newReportCmd) }

// newReportCmd folds the ledger into one of the read models officials use and renders
// it: the wiring of kinds to projections is projections/report/kinds.
func newReportCmd() *cobra.Command {
	var (
		dir, store, format, lang, asOf, resource, calFile, polFile, out string
		server, token                                                   string
		year, width                                                     int
		all                                                             bool
	)
	reg := kinds.Default()
	c := &cobra.Command{
		Use:   "report KIND (--data DIR | --server URL) [--format table|json|csv|html|xlsx] [--lang zh|en] [--as-of DATE] [--out FILE]",
		Short: "Render a report from the ledger 生成报告: " + strings.Join(reg.Names(), ", "),
		Long: `Fold every entry of the ledger, in order, into a read model and render it.

KIND: ` + strings.Join(reg.Names(), ", ") + `.
  accountability  谁收集谁负责、谁持有谁负责、谁使用谁负责、谁运行谁负责 (第三十七条): per resource
                  who collected, holds, uses and runs it; per institution its first
                  responsible person and posts; with --resource, the custody timeline.
  emergencies     emergency-data sealing register (第二十一条): data collected under each
                  emergency, evaluation, sealing or destruction, application shutdown, D8.
  findings        违规发现 F1–F18 (第四十一条): rule, articles, institution, responsible and
                  acting person, evidence seqs, enforcement state; a summary per rule.
  obligations     期限 D1–D12 in working days: trigger, due day, the act that met it,
                  state, working days late; a summary per deadline.
  assessment      年度考核 (第四十三条): each measure per institution and per county for
                  --year (default: the as-of day's year), and what each measure means.

From a running ledger: --server URL with --token (or LEDGER_TOKEN) of a role that may read
the kind (authority and security officers: every kind; reviewers: assessment, findings,
obligations). The server builds the report with its own policy and calendar, and records
the read in its audit log.

--as-of DATE (YYYY-MM-DD, default today in China) leaves out acts that happened after
that day and judges deadlines on it. Languages: zh (default) and en. Formats:
  table  the summary, then each table fitted to --width columns (default 120; CJK
         characters count two), long cells wrapped and cut with "…"
  json   every row and column, stable keys and codes: for programs
  csv    every row and column, UTF-8 with a byte-order mark (Excel on Windows), headers
         in the chosen language
  html   one page for screen and A4 print: summary, charts (inline SVG), the detail;
         rows met on time are counted, not listed, unless --all
  xlsx   an Excel workbook (a sheet per table, heat maps as numbers): binary, so it is
         written to --out FILE or to a redirected standard output, never to a terminal
See docs/reports.md.

Exit 0: rendered (a deadline the policy or calendar cannot count is shown as
undetermined, with its reason, not an error). Exit 2: usage error (unknown kind, format
or language, a bad --as-of, --year or --width, no ledger in --data, xlsx to a terminal,
an --out that cannot be written).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage("report: give one KIND (%s) 请指定一种报告", strings.Join(reg.Names(), ", "))
			}
			k, err := reg.Lookup(args[0])
			if err != nil {
				return usage("report: %v", err)
			}
			f, err := report.ParseFormat(format)
			if err != nil {
				return usage("report: --format: %v", err)
			}
			l, err := report.ParseLang(lang)
			if err != nil {
				return usage("report: --lang: %v", err)
			}
			if year < 0 {
				return usage("report: --year must be a year such as 2025")
			}
			if width < report.MinWidth {
				return usage("report: --width must be at least %d columns", report.MinWidth)
			}
			w := cmd.OutOrStdout()
			if f.Binary() && out == "" && isTerminal(w) {
				return usage("report: --format %s is a binary workbook: give --out FILE or redirect standard output (xlsx 为二进制文件，请用 --out 指定文件)", f)
			}
			if server != "" {
				if dir != "" || store != "" || calFile != "" || polFile != "" {
					return usage("report: --server reads the running ledger; --data, --store, --policy and --calendar are for a ledger on disk (二者择一)")
				}
				return remoteReport(cmd, ledgerd(server, token), args[0], f, l, asOf, year, resource, all, out)
			}
			o := report.Options{AsOf: calendar.DateOf(time.Now()), Calendar: calendar.Default(), Resource: resource, Year: year}
			if asOf != "" {
				if o.AsOf, err = calendar.Parse(asOf); err != nil {
					return usage("report: --as-of: %v", err)
				}
			}
			if calFile != "" {
				if o.Calendar, err = o.Calendar.LoadFile(calFile); err != nil {
					return usage("report: --calendar: %v", err)
				}
			}
			if polFile != "" {
				o.Policy, err = policy.Load(polFile)
			} else {
				o.Policy, err = policy.Default()
			}
			if err != nil {
				return usage("report: --policy: %v", err)
			}
			if dir == "" && store == "" {
				return usage("report: --data DIR or --store URL is required (需要 --data 或 --store 参数)")
			}
			st, err := openLedgerStore(cmd.Context(), dir, store)
			if err != nil {
				return usage("report: %v", err)
			}
			defer st.Close()
			update, finish := progress(cmd, "folding 汇总中", "entries")
			o.Progress = update
			r, err := report.Build(cmd.Context(), st, k, o)
			finish()
			if errors.Is(err, report.ErrNotAvailable) {
				return usage("report: %v", err)
			}
			if err != nil {
				return usage("report: %v", err)
			}
			opts := []report.Option{report.Width(width)}
			if all {
				opts = append(opts, report.All())
			}
			if out == "" {
				if err := report.Render(w, r, f, l, opts...); err != nil {
					return usage("report: writing output: %v", err)
				}
				return nil
			}
			var buf bytes.Buffer
			if err := report.Render(&buf, r, f, l, opts...); err != nil {
				return usage("report: %v", err)
			}
			if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
				return usage("report: --out: %v", err)
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&dir, "data", os.Getenv("LEDGER_DATA"), "ledger data directory (env LEDGER_DATA)")
	fl.StringVar(&server, "server", "", "build the report on a running ledgerd at this URL instead (GET /v1/reports/KIND)")
	fl.StringVar(&token, "token", "", "with --server: bearer token of a role that may read the kind (default $LEDGER_TOKEN)")
	storeFlag(fl, &store)
	fl.StringVar(&format, "format", "table", "output format: table, json, csv, html or xlsx")
	fl.StringVar(&out, "out", "", "write the report to this file (replaced whole) instead of standard output")
	fl.BoolVar(&all, "all", false, "table and html: list every row, also those counted instead of listed (met on time)")
	fl.IntVar(&width, "width", report.DefaultWidth, "table: the terminal width to fit (CJK characters count two)")
	fl.StringVar(&lang, "lang", "zh", "language: zh (简体中文) or en")
	fl.StringVar(&asOf, "as-of", "", "judge the ledger as it stood at the end of this day (YYYY-MM-DD; default today, China time)")
	fl.IntVar(&year, "year", 0, "assessment: the year scored (default: the as-of day's year)")
	fl.StringVar(&resource, "resource", "", "narrow to one data resource (accountability: adds its custody timeline)")
	fl.StringVar(&calFile, "calendar", os.Getenv("LEDGER_CALENDAR"), "operator calendar file (JSON) adding years the library lacks [env LEDGER_CALENDAR]")
	fl.StringVar(&polFile, "policy", os.Getenv("LEDGER_POLICY"), "operator policy file (JSON) adding versions to the embedded policy [env LEDGER_POLICY]")
	return c
}

// remoteReport fetches the report from a running ledger and writes it as the local path
// would.
func remoteReport(cmd *cobra.Command, c *client.Client, kind string, f report.Format, l report.Lang, asOf string, year int, resource string, all bool, out string) error {
	q := url.Values{"format": {string(f)}, "lang": {string(l)}}
	if asOf != "" {
		q.Set("as_of", asOf)
	}
	if year > 0 {
		q.Set("year", strconv.Itoa(year))
	}
	if resource != "" {
		q.Set("resource", resource)
	}
	if all {
		q.Set("all", "true")
	}
	body, err := c.Report(cmd.Context(), kind, q)
	if err != nil {
		return usage("report: %s: %v", c.BaseURL, err)
	}
	if out != "" {
		if err := atomicfile.Write(out, body, 0o644); err != nil {
			return usage("report: --out: %v", err)
		}
		return nil
	}
	if _, err := cmd.OutOrStdout().Write(body); err != nil {
		return usage("report: writing output: %v", err)
	}
	return nil
}

// isTerminal is true when w is a terminal, where a binary format would print garbage.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
