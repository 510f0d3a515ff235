package bench

import (
	"sync"
	"time"
)

// recorder collects each operation's latencies and failures from many goroutines.
type recorder struct {
	mu  sync.Mutex
	ops map[string]*opRecord
}

type opRecord struct {
	lat    []time.Duration
	failed map[string]int64
}

func newRecorder() *recorder {
	r := &recorder{ops: map[string]*opRecord{}}
	for _, op := range soakOps {
		r.ops[op] = &opRecord{failed: map[string]int64{}}
	}
	return r
}

// done records one finished operation: its latency when err is nil, else its failure
// under code (ErrorCode(err) when code is "").
func (r *recorder) done(op string, d time.Duration, code string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.ops[op]
	if err == nil {
		o.lat = append(o.lat, d)
		return
	}
	if code == "" {
		code = ErrorCode(err)
	}
	o.failed[code]++
}

// addAll records a burst's latencies and failures.
func (r *recorder) addAll(op string, lat []time.Duration, failed map[string]int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.ops[op]
	o.lat = append(o.lat, lat...)
	for k, v := range failed {
		o.failed[k] += v
	}
}

// stats summarises every operation that ran, in soakOps order.
func (r *recorder) stats() []OpStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []OpStats
	for _, op := range soakOps {
		o := r.ops[op]
		st := OpStats{Op: op, Latency: Summarise(o.lat)}
		for _, n := range o.failed {
			st.Failed += n
		}
		st.Count = int64(len(o.lat)) + st.Failed
		if st.Failed > 0 {
			st.Errors = o.failed
		}
		if st.Count > 0 {
			out = append(out, st)
		}
	}
	return out
}
