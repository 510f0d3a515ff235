package auth

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a token bucket per client (a credential, or a remote address for requests
// without one). Idle clients are forgotten, so the number of buckets stays bounded by the
// clients active within IdleAfter. Methods are safe for concurrent use.
type Limiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu        sync.Mutex
	clients   map[string]*bucket
	lastSweep time.Time
	// IdleAfter is how long a client's bucket is kept without requests (default 10 min).
	IdleAfter time.Duration
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows each client perSecond requests per second on average and bursts of
// burst. perSecond <= 0 returns nil: a nil *Limiter allows everything.
func NewLimiter(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	return &Limiter{limit: rate.Limit(perSecond), burst: burst, now: time.Now, clients: map[string]*bucket{}, IdleAfter: 10 * time.Minute}
}

// SetClock replaces the clock, for tests.
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

// Allow takes one request from client's bucket. When the bucket is empty it returns false
// and how long until a request would be allowed (for Retry-After); nothing is taken then,
// so a client that keeps hammering does not dig itself deeper.
func (l *Limiter) Allow(client string) (bool, time.Duration) { return l.AllowN(client, 1) }

// Burst is the most one client may take at once (0: a nil Limiter, no limit): a batch of
// more submissions than this could never be allowed, and is refused as such.
func (l *Limiter) Burst() int {
	if l == nil {
		return 0
	}
	return l.burst
}

// AllowN is Allow for n at once (a batch of n submissions counts as n), all or none.
func (l *Limiter) AllowN(client string, n int) (bool, time.Duration) {
	if l == nil || n <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.IdleAfter {
		for k, b := range l.clients {
			if now.Sub(b.seen) > l.IdleAfter {
				delete(l.clients, k)
			}
		}
		l.lastSweep = now
	}
	b := l.clients[client]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, n)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Clients returns how many buckets are held (for tests and metrics).
func (l *Limiter) Clients() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
