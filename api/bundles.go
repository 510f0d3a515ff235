package api

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/internal/strictjson"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
)

// POST /v1/bundles: an evidence bundle (docs/formats.md) built from the running ledger,
// the export recorded on it first as ledger.bundle_exported.v1 signed by the ledger key
// (第三十七条), exactly as "ledgerctl export --data" records it on a stopped one: both
// call bundle.Export. The body is bundle.ServerRequest; the exporting person is the
// credential's. The answer is the bundle (application/json) with the export event's
// position in ExportSeqHeader (and in the bundle's export_seq).
//
// A request refused (bad selection, no reason, too many entries, a role that may not
// export) records nothing. Once the event is recorded the export stands even if the
// answer is lost: the ledger says an export was made, which is the safe side.

// ExportSeqHeader is the client package's.
const ExportSeqHeader = client.ExportSeqHeader

// DefaultBundleMaxEntries bounds the entries one POST /v1/bundles may select when
// Config.BundleMaxEntries is zero. A bundle is built and audited in memory, a few KiB per
// entry with its proof: 10,000 entries is some tens of MiB. Larger investigations are
// split by seq range, or exported offline with ledgerctl export --data.
const DefaultBundleMaxEntries = 10_000

var (
	errNoBundles = problem(ErrNotSupported, "bundle_unsupported", "",
		"this server was started without the ledger key, so it cannot record an export; use ledgerctl export --data on the stopped ledger",
		"此服务启动时未加载账本密钥，无法记录导出；请在账本停止后使用 ledgerctl export --data")
	errBundleBody = func(err error) *ledger.Problem {
		return problem(ledger.ErrInvalid, "malformed_body", "",
			"the body must be one JSON object {stream, from, to, reason} and nothing else: "+err.Error(),
			"请求体必须是唯一的 JSON 对象 {stream, from, to, reason}")
	}
	errNoPerson = problem(ledger.ErrUnauthorized, "forbidden", "",
		"an export is recorded with the person who made it; this request carries no authenticated person",
		"导出须记录导出人；此请求没有经过认证的人员身份")
)

func (s *Server) postBundle(w http.ResponseWriter, r *http.Request) {
	if s.cfg.LedgerKey == nil {
		s.refuse(w, r, errNoBundles)
		return
	}
	var req bundle.ServerRequest
	p, ok := s.actBody(w, r, &req, errBundleBody)
	if !ok {
		return
	}
	ctx := r.Context()
	noteRead(ctx, func(n *auditNote) {
		if req.Stream != "" {
			n.streams = append(n.streams, req.Stream)
		}
	})
	max := s.cfg.BundleMaxEntries
	if max == 0 {
		max = DefaultBundleMaxEntries
	}
	sel := req.Selection
	if filters := req.SearchFilters(); filters != nil {
		var err error
		if sel, err = s.searchSelection(r, req, filters); err != nil {
			s.refuse(w, r, err)
			return
		}
	}
	b, err := bundle.Export(ctx, s.l, s.cfg.LedgerKey, bundle.Request{Selection: sel, By: p.Person, Reason: req.Reason, MaxEntries: max})
	if err == nil {
		noteRead(ctx, func(n *auditNote) { n.seqs = append(n.seqs, b.ExportSeq) })
	}
	if err != nil {
		s.refuse(w, r, fmt.Errorf("exporting %s: %w", req.Selection, err))
		return
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, b); err != nil {
		s.refuse(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set(ExportSeqHeader, strconv.FormatUint(b.ExportSeq, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	s.log.Info("bundle exported", "export_seq", b.ExportSeq, "entries", len(b.Entries), "person", p.Person, "remote", remoteIP(r))
}

// searchSelection runs the investigation search a bundle request names and returns its
// results as listed positions, with the filters recorded beside them.
func (s *Server) searchSelection(r *http.Request, req bundle.ServerRequest, filters map[string]string) (bundle.Selection, error) {
	if s.cfg.Search == nil {
		return bundle.Selection{}, problem(ErrNotSupported, "search_unsupported", "", "this server keeps no search index", "此服务未建立检索索引")
	}
	if req.From != nil || req.To != nil {
		return bundle.Selection{}, problem(ledger.ErrInvalid, "bad_selection", "from", "a search selection takes days (from_day, to_day), not a seq range", "检索导出使用日期（from_day、to_day），不使用序号范围")
	}
	q, err := SearchQuery(func(k string) string { return filters[k] })
	if err != nil {
		return bundle.Selection{}, err
	}
	q.Limit = 500
	var seqs []uint64
	for {
		page, err := s.cfg.Search.Search(r.Context(), q)
		if err != nil {
			return bundle.Selection{}, err
		}
		for _, h := range page.Hits {
			seqs = append(seqs, h.Seq)
		}
		if len(seqs) > bundle.MaxSeqs {
			return bundle.Selection{}, problem(ledger.ErrTooLarge, "bundle_too_large", "",
				fmt.Sprintf("the search finds more than %d acts; narrow it (days, resource, type)", bundle.MaxSeqs),
				fmt.Sprintf("检索结果超过 %d 条，请缩小范围（日期、资源、类型）", bundle.MaxSeqs))
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if len(seqs) == 0 {
		return bundle.Selection{}, problem(ledger.ErrNotFound, "empty_selection", "", "the search finds no act", "检索未找到任何事件")
	}
	slices.Sort(seqs)
	return bundle.Selection{Seqs: slices.Compact(seqs), Query: filters}, nil
}

// actBody reads the strict JSON body of a request the ledger records as an act of the
// caller's person (an export, a backup) into v: the person the credential names, the
// media type, the size and the body, each refused as the API refuses them (bad says how
// a body that does not decode is refused). It answers and returns false on a refusal.
func (s *Server) actBody(w http.ResponseWriter, r *http.Request, v any, bad func(error) *ledger.Problem) (*auth.Principal, bool) {
	p, ok := r.Context().Value(principalKey{}).(*auth.Principal)
	if !ok || p.Person == "" {
		s.refuse(w, r, errNoPerson)
		return nil, false
	}
	if err := requireJSON(r); err != nil {
		s.refuse(w, r, err)
		return nil, false
	}
	body, err := s.readBody(w, r)
	if err != nil {
		s.refuse(w, r, err)
		return nil, false
	}
	if err := strictjson.Unmarshal(body, v); err != nil {
		s.refuse(w, r, bad(err))
		return nil, false
	}
	return p, true
}
