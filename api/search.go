package api

import (
	"context"
	"github.com/aba-prefecture/dataledger/client"
	"net/http"
	"strconv"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/search"
)

// Searcher answers investigation queries (projections/search.Index).
type Searcher interface {
	Search(ctx context.Context, q search.Query) (search.Page, error)
}

// The wire types of GET /v1/events are the client package's (client.SearchPage).

// SearchQuery reads the filters of GET /v1/events (and of POST /v1/bundles' search
// selection): institution, person, resource, type, stream, from and to (days,
// YYYY-MM-DD, China time, inclusive). A bad value is a 400 naming the parameter.
func SearchQuery(get func(string) string) (search.Query, error) {
	q := search.Query{Institution: get("institution"), Person: get("person"), Resource: get("resource"), Type: get("type"), Stream: get("stream")}
	for _, d := range []struct {
		name string
		into *calendar.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := get(d.name); s != "" {
			v, err := calendar.Parse(s)
			if err != nil {
				return q, problem(ledger.ErrInvalid, "bad_query", d.name, d.name+" must be a day, YYYY-MM-DD", d.name+" 须为日期 YYYY-MM-DD")
			}
			*d.into = v
		}
	}
	if q.From != (calendar.Date{}) && q.To != (calendar.Date{}) && q.To.Before(q.From) {
		return q, problem(ledger.ErrInvalid, "bad_query", "to", "to is before from", "to 早于 from")
	}
	for _, s := range []string{q.Institution, q.Person, q.Resource, q.Type, q.Stream} {
		if len(s) > 200 {
			return q, problem(ledger.ErrInvalid, "bad_query", "", "a filter is longer than 200 characters", "筛选条件超过 200 个字符")
		}
	}
	return q, nil
}

// visibleTo is the read rule of single reads applied to search results: a role that
// reads everything sees every hit; an institution its own acts and the streams it holds.
func (s *Server) visibleTo(p *auth.Principal) func(search.Hit) bool {
	if p == nil || p.Role.ReadsAll() {
		return nil
	}
	return func(h search.Hit) bool {
		holds := s.cfg.Streams != nil && s.cfg.Streams.MayRead(p.Institution, h.Stream, h.Seq)
		return p.CanRead(h.Institution, holds)
	}
}

func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Search == nil {
		s.refuse(w, r, problem(ErrNotSupported, "search_unsupported", "", "this server keeps no search index", "此服务未建立检索索引"))
		return
	}
	v := r.URL.Query()
	for k := range v {
		switch k {
		case "institution", "person", "resource", "type", "stream", "from", "to", "cursor", "limit":
		default:
			s.refuse(w, r, problem(ledger.ErrInvalid, "bad_query", k, "unknown query parameter "+strconv.Quote(k), "未知查询参数 "+strconv.Quote(k)))
			return
		}
	}
	q, err := SearchQuery(v.Get)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	q.Cursor = v.Get("cursor")
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			s.refuse(w, r, problem(ledger.ErrInvalid, "bad_query", "limit", "limit must be 1–500", "limit 须为 1–500"))
			return
		}
		q.Limit = n
	}
	p, _ := r.Context().Value(principalKey{}).(*auth.Principal)
	q.Visible = s.visibleTo(p)
	page, err := s.cfg.Search.Search(r.Context(), q)
	if err == search.ErrBadCursor {
		s.refuse(w, r, problem(ledger.ErrInvalid, "bad_query", "cursor", "the cursor is not one this server handed out", "cursor 无效"))
		return
	}
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	noteRead(r.Context(), func(n *auditNote) {
		for _, h := range page.Hits {
			n.seqs = append(n.seqs, h.Seq)
		}
	})
	out := client.SearchPage{Events: make([]client.SearchHit, len(page.Hits)), NextCursor: page.Next}
	for i, h := range page.Hits {
		out.Events[i] = client.SearchHit(h)
	}
	writeJSON(w, http.StatusOK, out)
}
