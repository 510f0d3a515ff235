package api

import (
	"net/http"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
)

// batchRoute records several submissions in one request: the bulk path for an
// institution's system that forwards its acts as they accumulate. Each item is judged
// exactly as POST /v1/events judges it alone, with the same credentials and the same
// token binding; what one request saves is the HTTP exchange per act, and the items reach
// one group commit together.
const batchRoute = "/v1/events:batch"

// batchBodyFactor is how many single-request bodies one batch body may hold in bytes
// (with the default limits, 16 MiB): items are small, and a batch must not be a way round
// the per-request limit for one item, which DecodeRequest still applies to each.
const batchBodyFactor = 64

// decodedBatchKey carries a batch the write middleware already decoded (to bind a token
// to every item's actor) to postBatch.
type decodedBatchKey struct{}

type decodedBatch struct {
	items []*ledger.Signed
	errs  []error
	err   error
}

// decodeBatch reads and decodes a batch body within the batch limit.
func decodeBatch(w http.ResponseWriter, r *http.Request, lim ledger.Limits) decodedBatch {
	body, err := readLimited(w, r, requestLimit(lim)*batchBodyFactor)
	if err != nil {
		return decodedBatch{err: err}
	}
	items, errs, err := ledger.DecodeBatch(body, lim, ledger.MaxBatchItems)
	return decodedBatch{items: items, errs: errs, err: err}
}

func (s *Server) postBatch(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	fail := func(err error) {
		status, p := classify(err)
		logRefusal(s.log, r, status, p, err)
		writeProblems(w, status, p, err)
	}
	if err := requireJSON(r); err != nil {
		fail(err)
		return
	}
	d, ok := r.Context().Value(decodedBatchKey{}).(decodedBatch)
	if !ok {
		d = decodeBatch(w, r, s.l.Limits())
	}
	if d.err != nil {
		fail(d.err)
		return
	}
	for i, err := range d.errs {
		if err != nil {
			d.items[i] = nil // refused as decoded; AppendBatch skips it
		}
	}
	rcs, errs := s.l.AppendBatch(r.Context(), d.items)
	out := client.BatchAnswer{Results: make([]client.BatchResult, len(d.items))}
	took := time.Since(start)
	for i := range out.Results {
		err := d.errs[i]
		if err == nil {
			err = errs[i]
		}
		out.Results[i] = s.batchResult(r, rcs[i], err, took)
	}
	writeJSON(w, http.StatusOK, out)
}

// batchResult is one item's answer, counted and logged as a single request's.
func (s *Server) batchResult(r *http.Request, rc ledger.Receipt, err error, took time.Duration) client.BatchResult {
	status, p := s.answered(r, rc, err, took)
	if p != nil {
		d := detailsOf(p, err)
		return client.BatchResult{Status: status, Error: &d}
	}
	return client.BatchResult{Status: status, Seq: &rc.Seq, Hash: &rc.Hash, StreamVersion: &rc.StreamVersion}
}
