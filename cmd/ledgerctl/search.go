package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/spf13/cobra"
)

func init() { register(newSearchCmd) }

// newSearchCmd asks a running ledger's investigation index the officer's question:
// every act touching a resource, a person or an institution between two days.
func newSearchCmd() *cobra.Command {
	var server, token, format string
	var max int
	filters := map[string]*string{}
	c := &cobra.Command{
		Use:   "search --server URL [--institution I] [--person P] [--resource R] [--type T] [--stream S] [--from DAY] [--to DAY]",
		Short: "Find the acts touching a resource, person or institution between two days 检索事件",
		Long: `Ask a running ledgerd (GET /v1/events) for every act matching all the filters given:
--institution (the acting institution), --person (the acting official, or one the act
names), --resource (acted on or named), --type, --stream, --from and --to (the act's day,
YYYY-MM-DD, China time, inclusive). The server shows the token's role only what it may
read (an institution: its own acts and the streams it holds) and records the query in its
read-audit log.

Formats: table (default), json (one object: events and, when --max cut the list short,
next_cursor), csv (UTF-8 with a byte-order mark). Each row's seq can be proved with
` + "`ledgerctl prove --server URL --seq N`" + `, and the same filters export the acts as an
evidence bundle with ` + "`ledgerctl export --server URL --resource R …`" + `.

Exit 0 with the results (none is a result); 2 for a usage error or a refusal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" {
				return usage("search: --server URL is required (需要 --server 参数)")
			}
			if max < 1 {
				return usage("search: --max must be at least 1")
			}
			switch format {
			case "table", "json", "csv":
			default:
				return usage("search: --format must be table, json or csv, not %q", format)
			}
			q := url.Values{}
			for name, v := range filters {
				if *v != "" {
					q.Set(name, *v)
				}
			}
			cl := ledgerd(server, token)
			var hits []client.SearchHit
			next := ""
			for {
				q.Set("limit", strconv.Itoa(min(500, max-len(hits))))
				if next != "" {
					q.Set("cursor", next)
				}
				p, err := cl.Search(cmd.Context(), q)
				if err != nil {
					return usage("search: %s: %v", server, err)
				}
				hits = append(hits, p.Events...)
				next = p.NextCursor
				if next == "" || len(hits) >= max {
					break
				}
			}
			return printSearch(cmd.OutOrStdout(), hits, next, format)
		},
	}
	f := c.Flags()
	f.StringVar(&server, "server", "", "ledgerd base URL")
	f.StringVar(&token, "token", "", "bearer token (default $LEDGER_TOKEN)")
	f.StringVar(&format, "format", "table", "table, json or csv")
	f.IntVar(&max, "max", 1000, "stop after this many acts (the JSON says where to go on)")
	for _, name := range []string{"institution", "person", "resource", "type", "stream", "from", "to"} {
		v := new(string)
		filters[name] = v
		f.StringVar(v, name, "", "filter: "+map[string]string{"institution": "the acting institution", "person": "the acting official or one the act names",
			"resource": "a resource acted on or named", "type": "an event type", "stream": "a stream", "from": "first day, YYYY-MM-DD", "to": "last day, YYYY-MM-DD"}[name])
	}
	return c
}

func printSearch(w io.Writer, hits []client.SearchHit, next, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if hits == nil {
			hits = []client.SearchHit{}
		}
		return enc.Encode(client.SearchPage{Events: hits, NextCursor: next})
	case "csv":
		if _, err := w.Write([]byte("\uFEFF")); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"序号 seq", "日期 day", "类型 type", "机构 institution", "人员 person", "资源 resources", "流 stream", "记录时间 recorded_at", "事件 id"})
		for _, h := range hits {
			_ = cw.Write([]string{strconv.FormatUint(h.Seq, 10), h.Day, h.Type, h.Institution, h.Person, strings.Join(h.Resources, " "), h.Stream, h.RecordedAt, h.ID})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(hits) == 0 {
		_, err := fmt.Fprintln(w, "no acts match (无匹配事件)")
		return err
	}
	fmt.Fprintf(w, "%-8s %-10s %-34s %-24s %-14s %s\n", "seq", "day 日期", "type 类型", "institution 机构", "person 人员", "resources 资源")
	for _, h := range hits {
		fmt.Fprintf(w, "%-8d %-10s %-34s %-24s %-14s %s\n", h.Seq, h.Day, cut(h.Type, 34), cut(h.Institution, 24), cut(h.Person, 14), cut(strings.Join(h.Resources, " "), 24))
	}
	if next != "" {
		fmt.Fprintf(w, "… more: raise --max, or continue with cursor %s (更多结果)\n", next)
	}
	return nil
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
