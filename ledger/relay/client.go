package relay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Options configure a Client.
type Options struct {
	// Secret is the deployment's relay secret (at least MinSecret bytes), shared by
	// every front-end and by nothing else.
	Secret []byte
	// Lookup returns where the sequencing point's relay listener is now ("host:port").
	Lookup func(ctx context.Context) (string, error)
	// Sequencing reports whether this process is the sequencing point now; then parcels
	// still queued here are recorded through Local instead of sent.
	Sequencing func() bool
	// Local records verified submissions in this process (ledger.Ledger.AppendVerified).
	Local func(ctx context.Context, items []*ledger.Signed) ([]ledger.Receipt, []error)
	// Wait is how long a parcel keeps trying to reach a sequencing point — through an
	// election of a new one, which takes a lease or two — before its submitters are told
	// the deployment is unavailable (default 15 s).
	Wait time.Duration
	// Senders is how many relayed requests may be in flight at once (default 2): each
	// carries every parcel queued when it leaves, so few senders make large requests.
	Senders int
	// HTTP is the client requests are sent with (default: one with a 5 s timeout, so
	// that a sequencing point that froze is given up within a few leases and the
	// parcel sent to the one elected after it).
	HTTP   *http.Client
	Logger *slog.Logger
}

// Client is a front-end's side of the relay, a ledger.Forwarder: it queues what this
// process admitted and sends it, in parcels that keep each caller's order, to the
// deployment's sequencing point, looking it up again whenever the one it knew stops
// answering as one.
type Client struct {
	o     Options
	queue chan *parcel
	stop  chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	addr string // the sequencing point last looked up; "" to look again
}

// parcel is one Forward call's submissions, sent together and in order.
type parcel struct {
	items []*ledger.Signed
	size  int
	rcs   []ledger.Receipt
	errs  []error
	done  chan struct{}
}

var _ ledger.Forwarder = (*Client)(nil)

// NewClient returns a started Client; Close stops it.
func NewClient(o Options) (*Client, error) {
	if len(o.Secret) < MinSecret {
		return nil, ErrSecret
	}
	if o.Lookup == nil || o.Sequencing == nil || o.Local == nil {
		return nil, errors.New("relay: Options.Lookup, Sequencing and Local are required")
	}
	if o.Wait <= 0 {
		o.Wait = 15 * time.Second
	}
	if o.Senders <= 0 {
		o.Senders = 2
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &Client{o: o, queue: make(chan *parcel, 4096), stop: make(chan struct{})}
	for range o.Senders {
		c.wg.Go(c.send)
	}
	return c, nil
}

// Close stops the senders; parcels still queued are answered unavailable.
func (c *Client) Close() error {
	close(c.stop)
	c.wg.Wait()
	for {
		select {
		case p := <-c.queue:
			p.fail(unavailable(errors.New("the front-end is stopping")))
		default:
			return nil
		}
	}
}

// Sequencing implements ledger.Forwarder.
func (c *Client) Sequencing() bool { return c.o.Sequencing() }

// Forward implements ledger.Forwarder.
func (c *Client) Forward(ctx context.Context, ss []*ledger.Signed) ([]ledger.Receipt, []error) {
	p := &parcel{items: ss, rcs: make([]ledger.Receipt, len(ss)), errs: make([]error, len(ss)), done: make(chan struct{})}
	for _, s := range ss {
		p.size += len(s.Canonical) + 2*len(s.Signature) + 64
	}
	select {
	case c.queue <- p:
	case <-ctx.Done():
		return p.rcs, fill(p.errs, ctx.Err())
	case <-c.stop:
		return p.rcs, fill(p.errs, unavailable(errors.New("the front-end is stopping")))
	}
	select {
	case <-p.done:
		return p.rcs, p.errs
	case <-ctx.Done():
		return make([]ledger.Receipt, len(ss)), fill(make([]error, len(ss)), ctx.Err())
	}
}

func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func (p *parcel) fail(err error) {
	fill(p.errs, err)
	close(p.done)
}

// send takes a parcel, adds whatever else is queued (up to maxItems and maxBody), and
// delivers them, until Close.
func (c *Client) send() {
	var carry *parcel
	for {
		ps := make([]*parcel, 0, 8)
		if carry != nil {
			ps, carry = append(ps, carry), nil
		} else {
			select {
			case p := <-c.queue:
				ps = append(ps, p)
			case <-c.stop:
				return
			}
		}
		n, size := len(ps[0].items), ps[0].size
	fill:
		for n < maxItems && size < maxBody {
			select {
			case p := <-c.queue:
				if n+len(p.items) > maxItems || size+p.size > maxBody {
					carry = p
					break fill
				}
				ps, n, size = append(ps, p), n+len(p.items), size+p.size
			default:
				break fill
			}
		}
		c.deliver(ps)
	}
}

// deliver records the parcels' submissions at the sequencing point, or here if this
// process has become it, trying again (looking the point up again) until Wait has
// passed.
func (c *Client) deliver(ps []*parcel) {
	var items []*ledger.Signed
	for _, p := range ps {
		items = append(items, p.items...)
	}
	deadline := time.Now().Add(c.o.Wait)
	backoff := 50 * time.Millisecond
	for {
		var rcs []ledger.Receipt
		var errs []error
		var err error
		if c.o.Sequencing() {
			rcs, errs = c.o.Local(context.Background(), items)
		} else {
			rcs, errs, err = c.post(items)
		}
		if err == nil {
			i := 0
			for _, p := range ps {
				copy(p.rcs, rcs[i:i+len(p.items)])
				copy(p.errs, errs[i:i+len(p.items)])
				i += len(p.items)
				close(p.done)
			}
			return
		}
		if time.Now().Add(backoff).After(deadline) {
			c.o.Logger.Error("relay: no sequencing point answered; submissions refused as unavailable", "items", len(items), "err", err)
			for _, p := range ps {
				p.fail(unavailable(err))
			}
			return
		}
		c.o.Logger.Warn("relay: the sequencing point did not answer; looking it up again", "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-c.stop:
			for _, p := range ps {
				p.fail(unavailable(errors.New("the front-end is stopping")))
			}
			return
		}
		backoff = min(2*backoff, time.Second)
	}
}

// post sends items to the sequencing point. An error means nothing is known of them
// (the point was not reached, refused the request, or its answer did not prove itself):
// they are sent again, and the ids make a repeat of what did land a duplicate.
func (c *Client) post(items []*ledger.Signed) ([]ledger.Receipt, []error, error) {
	addr, err := c.lookup()
	if err != nil {
		return nil, nil, err
	}
	body := make([]byte, 1, 1024*len(items))
	body[0] = formatV1
	for _, s := range items {
		body = appendItem(body, s)
	}
	sum := mac(c.o.Secret, reqLabel, body)
	// A sequencing point that froze keeps the request open: once another has taken the
	// lease and advertised itself, give this one up and send there.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.watch(ctx, cancel, addr)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+Path, bytes.NewReader(body))
	if err != nil {
		c.forget(addr)
		return nil, nil, fmt.Errorf("relay address %q: %w", addr, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(HeaderMAC, sum)
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		c.forget(addr)
		return nil, nil, fmt.Errorf("reaching the sequencing point at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		c.forget(addr)
		return nil, nil, fmt.Errorf("reading the sequencing point's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		c.forget(addr)
		var rf refusal
		json.Unmarshal(rb, &rf)
		if resp.StatusCode == http.StatusMisdirectedRequest {
			return nil, nil, fmt.Errorf("%w (%s)", errRedirected, addr)
		}
		return nil, nil, fmt.Errorf("the sequencing point at %s refused the relayed request: %d %s %s", addr, resp.StatusCode, rf.Code, rf.Message)
	}
	if !hmac.Equal([]byte(resp.Header.Get(HeaderMAC)), []byte(mac(c.o.Secret, respLabel, []byte(sum), rb))) {
		c.forget(addr)
		return nil, nil, fmt.Errorf("the answer from %s does not carry the relay secret's MAC", addr)
	}
	rcs, errs, err := decodeResults(rb, len(items))
	if err != nil {
		return nil, nil, fmt.Errorf("the sequencing point's answer: %w", err)
	}
	return rcs, errs, nil
}

func (c *Client) lookup() (string, error) {
	c.mu.Lock()
	addr := c.addr
	c.mu.Unlock()
	if addr != "" {
		return addr, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, err := c.o.Lookup(ctx)
	if err != nil {
		return "", fmt.Errorf("looking up the sequencing point: %w", err)
	}
	c.mu.Lock()
	c.addr = addr
	c.mu.Unlock()
	return addr, nil
}

// forget drops addr, so that the next attempt looks the sequencing point up again.
func (c *Client) forget(addr string) {
	c.mu.Lock()
	if c.addr == addr {
		c.addr = ""
	}
	c.mu.Unlock()
}

// watchEvery is how often a relayed request still open looks for another sequencing
// point: far longer than a request normally takes, far shorter than a lease.
const watchEvery = 250 * time.Millisecond

// watch cancels a request open to addr once the store advertises another sequencing
// point, until ctx ends.
func (c *Client) watch(ctx context.Context, cancel context.CancelFunc, addr string) {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lctx, lcancel := context.WithTimeout(ctx, watchEvery)
		now, err := c.o.Lookup(lctx)
		lcancel()
		if err == nil && now != addr {
			c.o.Logger.Warn("relay: another front-end became the sequencing point while a request was open; sending there", "was", addr, "now", now)
			cancel()
			return
		}
	}
}
