package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/internal/bench"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/spf13/cobra"
)

func init() { register(newLoadCmd) }

func newLoadCmd() *cobra.Command {
	var (
		o        bench.LoadOptions
		server   string
		token    string
		asJSON   bool
		retryFor = client.DefaultRetryFor
	)
	c := &cobra.Command{
		Use:   "load --server URL --events N [--acked FILE]",
		Short: "Send N signed submissions to a running ledgerd concurrently 并发压测",
		Long: `Register a fresh load institution and its SM2 key with the ledger (a key.registered.v1
act and an institution.registered.v1 act, both signed by the authority's root key) and
catalog three of its data resources, then sign N realistic submissions valid for the event
catalogue (collections with their legal basis, aggregations, storage, processing and
transmission of those resources) on every core and send them concurrently. Each id the server acknowledges (201, or 200 for a re-sent one)
is appended to --acked as soon as its answer arrives, one per line, so the file stays
correct if the server is killed mid-run.

The root key comes from --root-key, else from the server's dev_root_key_file (offered
only by a single-operator ledgerd, whose root key lives in its data directory).

Network errors and 503s are retried with the same bytes (submissions are idempotent by
id) for up to --retry-for; a server that stays away longer ends the run.

Exit 0 when all N are acknowledged; 2 otherwise, saying how many were.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" {
				return usage("load: --server URL is required (需要 --server 参数)")
			}
			if o.Events <= 0 {
				return usage("load: --events must be positive, got %d (--events 须为正数)", o.Events)
			}
			if o.Batch < 1 || o.Batch > ledger.MaxBatchItems {
				return usage("load: --batch must be 1 to %d, got %d (--batch 须在 1 至 %d 之间)", ledger.MaxBatchItems, o.Batch, ledger.MaxBatchItems)
			}
			if o.Concurrency <= 0 {
				return usage("load: --concurrency must be positive, got %d", o.Concurrency)
			}
			if o.Institution != "" && !institutionRE(o.Institution) {
				return usage("load: --institution %q must be 1–64 characters of [a-z0-9._:-]", o.Institution)
			}
			c := ledgerd(server, token)
			c.RetryFor = retryFor
			var finish func()
			o.Update, finish = progress(cmd, "load 压测", "events")
			r, err := bench.Load(cmd.Context(), c, o)
			finish()
			if err != nil {
				err = usage("load: %w", err)
			}
			if perr := printLoad(cmd.OutOrStdout(), r, asJSON); perr != nil && err == nil {
				err = perr
			}
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&server, "server", "", "ledgerd base URL, e.g. http://127.0.0.1:8080")
	f.IntVar(&o.Events, "events", 1000, "number of submissions to send")
	f.StringVar(&o.Acked, "acked", "", "append each acknowledged id to FILE, one per line")
	f.IntVar(&o.Concurrency, "concurrency", 256, "requests in flight (the default fills the server's group commits; see docs/performance.md)")
	f.IntVar(&o.Batch, "batch", 1, fmt.Sprintf("submissions per request: 1 sends each as POST /v1/events, more send them together as POST /v1/events:batch (at most %d)", ledger.MaxBatchItems))
	f.BoolVar(&o.Presign, "presign", true, "sign every submission before sending, so that the clock measures the server (memory: about 1 KiB per submission)")
	f.StringVar(&token, "token", "", "bearer token, for a server run with --write-token (default $LEDGER_TOKEN)")
	f.DurationVar(&retryFor, "retry-for", client.DefaultRetryFor, "how long to keep retrying a submission while the server is unreachable or answers 503")
	enrolFlags(c, &o.Enrol)
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return c
}

// enrolFlags are the flags that say how a load institution is registered (load, soak).
func enrolFlags(c *cobra.Command, e *bench.Enrol) {
	f := c.Flags()
	f.StringVar(&e.RootKey, "root-key", "", "the authority's root private key (PKCS#8 PEM, mode 0600); default: the server's dev_root_key_file")
	f.StringVar(&e.Institution, "institution", "", "institution id to register for the load (default load-<random>)")
	f.StringVar(&e.RootPerson, "root-person", "ledgerctl-load", "the authority's official who uses the root key (actor.person of the root's acts; once the authority has registered officials it must be one of them)")
}

func institutionRE(s string) bool {
	if len(s) == 0 || len(s) > 64 { // resource ids <institution>.<name> stay within 100
		return false
	}
	for i, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || i > 0 && (c == '.' || c == '_' || c == ':' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

func printLoad(w io.Writer, r bench.LoadResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	if r.Institution == "" {
		return nil // refused before sending anything; the error says why
	}
	if _, err := fmt.Fprintf(w, "load 压测: %d/%d acknowledged 已确认 in %.2fs (%.0f/s), %d requests in flight 并发 × %d per request 每请求, %d re-sent duplicates 重发; institution 机构 %s\n",
		r.Acked, r.Events, r.ElapsedS, r.PerS, r.Concurrency, r.Batch, r.Duplicates, r.Institution); err != nil {
		return err
	}
	if l := r.Latency; l != nil {
		if _, err := fmt.Fprintf(w, "latency 延迟 ms: p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n", l.P50, l.P99, l.P999, l.Max); err != nil {
			return err
		}
	}
	for code, n := range r.Errors {
		if _, err := fmt.Fprintf(w, "failed 失败 %s: %d\n", code, n); err != nil {
			return err
		}
	}
	return nil
}
