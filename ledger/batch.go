package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// MaxBatchItems is how many submissions one batch request (POST /v1/events:batch) may
// carry: enough to fill a group commit, few enough that one request cannot hold the
// sequencer's queue for long.
const MaxBatchItems = 1000

// DecodeBatch reads a batch request body: a JSON array of POST /v1/events bodies. A body
// that is not such an array, is empty or holds more than maxItems items is refused whole
// (err); otherwise each item is decoded strictly on its own (DecodeRequest), and one that
// fails has its refusal in errs at its index, leaving the others to be recorded.
func DecodeBatch(body []byte, lim Limits, maxItems int) (items []*Signed, errs []error, err error) {
	var raws []json.RawMessage
	if json.Unmarshal(body, &raws) != nil {
		return nil, nil, invalid("malformed_batch", "", "a batch is a JSON array of submissions, each as POST /v1/events takes it",
			"批量提交应为 JSON 数组，其每一项与 POST /v1/events 的请求体相同")
	}
	if len(raws) == 0 {
		return nil, nil, invalid("empty_batch", "", "the batch holds no submissions", "批量提交中没有任何提交")
	}
	if len(raws) > maxItems {
		return nil, nil, &Problem{Kind: ErrTooLarge, Code: "batch_too_large",
			Message:   fmt.Sprintf("the batch holds %d submissions; the limit is %d", len(raws), maxItems),
			MessageZH: fmt.Sprintf("批量提交包含 %d 项，超过上限 %d 项", len(raws), maxItems)}
	}
	items, errs = make([]*Signed, len(raws)), make([]error, len(raws))
	for i, raw := range raws {
		items[i], errs[i] = DecodeRequest(raw, lim)
	}
	return items, errs, nil
}

// AppendBatch records several submissions as if each were sent alone, one after the
// other: each is admitted or refused on its own (a refusal stops none of the others), and
// the admitted ones reach the sequencer in the order given, so that acts on one stream
// keep their order. Nil items are skipped (their answer is the caller's). Admission —
// above all signature verification — runs on every core; the call returns once every
// item is durably recorded or refused. Admission judges each item against the ledger as
// committed when the call began: an act that needs another act of the same batch
// recorded first (a case it continues, a key it is signed with) belongs in a later batch.
func (l *Ledger) AppendBatch(ctx context.Context, items []*Signed) ([]Receipt, []error) {
	if l.forwarder() != nil {
		return l.appendBatch(ctx, items, admitToFwd)
	}
	return l.appendBatch(ctx, items, admitWhole)
}

// appendBatch is AppendBatch with admission as how says: admitted items go to the
// Forwarder with admitToFwd, to this process's sequencer otherwise.
func (l *Ledger) appendBatch(ctx context.Context, items []*Signed, how admission) ([]Receipt, []error) {
	rcs, errs := make([]Receipt, len(items)), make([]error, len(items))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(items); i = int(next.Add(1) - 1) {
				if items[i] != nil {
					errs[i] = l.admit(ctx, items[i], how)
				}
			}
		})
	}
	wg.Wait()
	var at []int // the admitted items' indexes
	var admitted []*Signed
	for i, s := range items {
		if s != nil && errs[i] == nil {
			at, admitted = append(at, i), append(admitted, s)
		}
	}
	if how == admitToFwd {
		frcs, ferrs := l.opts.Forward.Forward(ctx, admitted)
		for j, i := range at {
			rcs[i], errs[i] = frcs[j], ferrs[j]
		}
		return rcs, errs
	}
	reqs, handErrs := l.hand(ctx, admitted)
	for j, i := range at {
		if errs[i] = handErrs[j]; errs[i] == nil {
			rcs[i], errs[i] = reqs[j].wait(ctx)
		}
	}
	return rcs, errs
}
