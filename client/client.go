package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// DefaultRetryFor is how long a Client keeps retrying a transient failure when
// Client.RetryFor is zero: long enough to ride out a ledgerd restart.
const DefaultRetryFor = 30 * time.Second

// Client talks to one ledgerd. The zero value is not usable; set BaseURL, or use New.
// Methods are safe for concurrent use.
type Client struct {
	// BaseURL is the server's root, e.g. "http://127.0.0.1:8080".
	BaseURL string
	// HTTP sends the requests; nil uses a shared client with per-request timeouts and
	// enough idle connections per host for concurrent submitters.
	HTTP *http.Client
	// RetryFor bounds how long one call keeps retrying network errors and 429/502/503/504
	// answers, re-sending the same bytes (submissions are idempotent by id). Zero means
	// DefaultRetryFor; negative disables retries.
	RetryFor time.Duration
	// Token, if set, is sent as "Authorization: Bearer <token>" on every request: reads
	// of event data, reports, exports and (with ledgerd --write-token) writes need one.
	Token string
}

// New returns a Client for baseURL with the defaults.
func New(baseURL string) *Client { return &Client{BaseURL: strings.TrimRight(baseURL, "/")} }

var defaultHTTP = &http.Client{
	Timeout: 60 * time.Second,
	Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	},
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// Error is a refusal or failure answered by the server, with the server's stable code,
// the field at fault and its messages in English and Chinese. errors.Is(err,
// ledger.ErrConflict) and the other ledger sentinels work on it, by status.
type Error struct {
	Status    int
	Code      string
	Field     string
	Message   string
	MessageZH string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, e.Code)
	if e.Field != "" {
		fmt.Fprintf(&b, " (%s)", e.Field)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.MessageZH != "" {
		b.WriteString(" / " + e.MessageZH)
	}
	return b.String()
}

// Unwrap maps the status to the ledger's sentinel of the same meaning.
func (e *Error) Unwrap() error {
	switch e.Status {
	case http.StatusBadRequest:
		return ledger.ErrInvalid
	case http.StatusRequestEntityTooLarge:
		return ledger.ErrTooLarge
	case http.StatusForbidden:
		return ledger.ErrUnauthorized
	case http.StatusConflict:
		return ledger.ErrConflict
	case http.StatusNotFound:
		return ledger.ErrNotFound
	case http.StatusServiceUnavailable:
		return ledger.ErrClosed
	}
	return nil
}

// Retryable reports whether re-sending the same request may succeed: the server was
// unavailable or overloaded, not the request wrong.
func (e *Error) Retryable() bool { return retryableStatus(e.Status) }

func retryableStatus(s int) bool {
	switch s {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// EncodeRequest is the POST /v1/events body for a signed submission: the canonical
// submission bytes exactly as signed, and the standard base64 DER signature.
func EncodeRequest(s *ledger.Signed) []byte {
	b := make([]byte, 0, len(s.Canonical)+base64.StdEncoding.EncodedLen(len(s.Signature))+32)
	b = append(b, `{"submission":`...)
	b = append(b, s.Canonical...)
	b = append(b, `,"signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, s.Signature)
	return append(b, `"}`...)
}

// Submit records a signed submission and returns its receipt; Receipt.Duplicate is true
// when the server had already recorded it (for example when an earlier attempt's answer
// was lost). Transient failures are retried with the same bytes for up to RetryFor.
func (c *Client) Submit(ctx context.Context, s *ledger.Signed) (ledger.Receipt, error) {
	status, body, err := c.do(ctx, http.MethodPost, "/v1/events", EncodeRequest(s))
	if err != nil {
		return ledger.Receipt{}, fmt.Errorf("submitting %s: %w", s.Submission.ID, err)
	}
	var r struct {
		Seq           *uint64     `json:"seq"`
		Hash          ledger.Hash `json:"hash"`
		StreamVersion *uint64     `json:"stream_version"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Seq == nil || r.StreamVersion == nil {
		return ledger.Receipt{}, fmt.Errorf("submitting %s: unreadable receipt %q", s.Submission.ID, truncate(body))
	}
	return ledger.Receipt{Seq: *r.Seq, Hash: r.Hash, StreamVersion: *r.StreamVersion, Duplicate: status == http.StatusOK}, nil
}

// SubmitBatch records several signed submissions in one request (POST /v1/events:batch)
// and returns, at each one's index, its receipt or its refusal (an *Error), as Submit
// would have for it alone. err is for the request as a whole (the batch malformed,
// refused for its token or size, or the server unreachable for longer than RetryFor);
// transient failures of the whole request are retried with the same bytes, which is safe
// because every submission is idempotent by id.
func (c *Client) SubmitBatch(ctx context.Context, ss []*ledger.Signed) ([]ledger.Receipt, []error, error) {
	body := make([]byte, 0, 1024*len(ss))
	body = append(body, '[')
	for i, s := range ss {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, EncodeRequest(s)...)
	}
	body = append(body, ']')
	_, out, err := c.do(ctx, http.MethodPost, "/v1/events:batch", body)
	if err != nil {
		return nil, nil, fmt.Errorf("submitting a batch of %d: %w", len(ss), err)
	}
	var a BatchAnswer
	if err := json.Unmarshal(out, &a); err != nil || len(a.Results) != len(ss) {
		return nil, nil, fmt.Errorf("submitting a batch of %d: unreadable answer %q", len(ss), truncate(out))
	}
	rcs, errs := make([]ledger.Receipt, len(ss)), make([]error, len(ss))
	for i, r := range a.Results {
		switch {
		case r.Error != nil:
			errs[i] = &Error{Status: r.Status, Code: r.Error.Code, Field: r.Error.Field, Message: r.Error.Message, MessageZH: r.Error.MessageZH}
		case r.Seq == nil || r.Hash == nil || r.StreamVersion == nil:
			errs[i] = fmt.Errorf("submitting %s: the batch answer carries no receipt for it", ss[i].Submission.ID)
		default:
			rcs[i] = ledger.Receipt{Seq: *r.Seq, Hash: *r.Hash, StreamVersion: *r.StreamVersion, Duplicate: r.Status == http.StatusOK}
		}
	}
	return rcs, errs, nil
}

// SignAndSubmit fills in an empty ID (a fresh UUIDv7), OccurredAt (now) and Actor.KeyID
// (k's), signs sub with k and submits it. It returns the signed submission too, so that a
// caller can keep the exact bytes it signed.
func (c *Client) SignAndSubmit(ctx context.Context, k crypto.Signer, sub ledger.Submission) (*ledger.Signed, ledger.Receipt, error) {
	if sub.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, ledger.Receipt{}, err
		}
		sub.ID = id.String()
	}
	if sub.OccurredAt == "" {
		sub.OccurredAt = time.Now().UTC().Format(time.RFC3339Nano)
	}
	if sub.Actor.KeyID == "" {
		sub.Actor.KeyID = k.Public().ID()
	}
	s, err := ledger.SignSubmission(k, sub)
	if err != nil {
		return nil, ledger.Receipt{}, fmt.Errorf("signing: %w", err)
	}
	r, err := c.Submit(ctx, s)
	return s, r, err
}

// LedgerInfo is GET /v1/ledger.
type LedgerInfo struct {
	Origin    string  `json:"origin"`
	Authority string  `json:"authority"`
	Size      uint64  `json:"size"`
	LedgerKey KeyInfo `json:"ledger_key"`
	RootKey   KeyInfo `json:"root_key"`
	// DevRootKeyFile is set only by a server in single-operator (development) mode.
	DevRootKeyFile string `json:"dev_root_key_file,omitempty"`
}

// KeyInfo is a key id and its PKIX PEM.
type KeyInfo struct {
	ID  string `json:"id"`
	PEM string `json:"pem"`
}

// Ledger returns the server's identity and keys.
func (c *Client) Ledger(ctx context.Context) (LedgerInfo, error) {
	var info LedgerInfo
	_, body, err := c.do(ctx, http.MethodGet, "/v1/ledger", nil)
	if err != nil {
		return info, fmt.Errorf("reading ledger info: %w", err)
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return info, fmt.Errorf("reading ledger info: %w", err)
	}
	return info, nil
}

// Event is GET /v1/events/{id}: the entry bytes and an inclusion proof against a signed
// checkpoint. Check it with Verify before relying on it.
type Event struct {
	Seq            uint64          `json:"seq"`
	Hash           ledger.Hash     `json:"hash"`
	StreamVersion  uint64          `json:"stream_version"`
	Entry          []byte          `json:"entry"`
	Decoded        json.RawMessage `json:"decoded"`
	TreeSize       uint64          `json:"tree_size"`
	InclusionProof []ledger.Hash   `json:"inclusion_proof"`
	Checkpoint     string          `json:"checkpoint"`
}

// Event fetches one entry by id.
func (c *Client) Event(ctx context.Context, id string) (*Event, error) {
	_, body, err := c.do(ctx, http.MethodGet, "/v1/events/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, fmt.Errorf("reading event %s: %w", id, err)
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("reading event %s: %w", id, err)
	}
	return &ev, nil
}

// Verify checks, without trusting the server, that the entry is in the log: the
// checkpoint is signed by ledgerKey under origin and covers the entry, the entry bytes
// hash to Hash, and the inclusion proof leads from them to the checkpoint's root. It
// returns the parsed entry and the checkpoint.
func (ev *Event) Verify(origin string, ledgerKey *crypto.PublicKey) (*ledger.Entry, ledger.Checkpoint, error) {
	c, _, err := ledger.OpenCheckpoint([]byte(ev.Checkpoint), origin, ledgerKey)
	if err != nil {
		return nil, c, err
	}
	if c.Size != ev.TreeSize || ev.Seq >= c.Size {
		return nil, c, fmt.Errorf("checkpoint of size %d does not cover seq %d (tree_size %d)", c.Size, ev.Seq, ev.TreeSize)
	}
	if ledger.SumEntry(ev.Entry) != ev.Hash {
		return nil, c, errors.New("the entry bytes do not hash to the entry hash")
	}
	e, err := ledger.ParseEntry(ev.Entry)
	if err != nil {
		return nil, c, err
	}
	if e.Seq != ev.Seq {
		return nil, c, fmt.Errorf("the entry says seq %d, the answer %d", e.Seq, ev.Seq)
	}
	if err := ledger.VerifyInclusion(ev.Entry, ev.Seq, c.Size, ev.InclusionProof, c.Root); err != nil {
		return nil, c, fmt.Errorf("inclusion proof: %w", err)
	}
	return e, c, nil
}

// Checkpoint returns the latest signed checkpoint note.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	_, body, err := c.do(ctx, http.MethodGet, "/v1/checkpoint", nil)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	return body, nil
}

// do sends one request, retrying transient failures with jittered exponential backoff
// (honouring Retry-After) until RetryFor has passed since the first attempt. It returns
// the status and body of a 2xx answer, or an error: *Error for a non-2xx answer.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	status, _, out, err := c.send(ctx, call{method: method, path: path, body: body, ctype: "application/json"})
	return status, out, err
}

// call is one request: ctype is the body's media type.
type call struct {
	method, path, ctype string
	body                []byte
}

// send is do for any call, also returning the answer's header.
func (c *Client) send(ctx context.Context, cl call) (int, http.Header, []byte, error) {
	method, path, body := cl.method, cl.path, cl.body
	retryFor := c.RetryFor
	if retryFor == 0 {
		retryFor = DefaultRetryFor
	}
	deadline := time.Now().Add(retryFor)
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		status, hdr, resp, wait, err := c.once(ctx, method, path, cl.ctype, body)
		if err == nil {
			return status, hdr, resp, nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return 0, nil, nil, err
		}
		if retryFor < 0 {
			return 0, nil, nil, err
		}
		d := backoff/2 + rand.N(backoff/2+1)
		d = max(d, wait)
		if time.Now().Add(d).After(deadline) {
			return 0, nil, nil, fmt.Errorf("giving up after %d attempts in %v: %w", attempt, retryFor, err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, nil, nil, fmt.Errorf("%w (last failure: %v)", ctx.Err(), err)
		case <-t.C:
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// once sends one request. wait is the server's Retry-After, if any.
func (c *Client) once(ctx context.Context, method, path, ctype string, body []byte) (status int, hdr http.Header, out []byte, wait time.Duration, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return 0, nil, nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, nil, nil, 0, err
	}
	defer resp.Body.Close()
	out, err = io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return 0, nil, nil, 0, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, resp.Header, out, 0, nil
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		wait = time.Duration(s) * time.Second
	}
	return 0, nil, nil, wait, decodeError(resp.StatusCode, out)
}

func decodeError(status int, body []byte) *Error {
	var eb ErrorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error.Code != "" {
		return &Error{Status: status, Code: eb.Error.Code, Field: eb.Error.Field, Message: eb.Error.Message, MessageZH: eb.Error.MessageZH}
	}
	// Not the ledger's answer (a proxy's page, say): keep what there is.
	return &Error{Status: status, Code: "http_" + strconv.Itoa(status), Message: truncate(body)}
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// retryable reports whether an error is worth re-sending the same request for: the
// server answered "later" or the connection failed.
func retryable(err error) bool {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Retryable()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The caller's context ended: not ours to retry. A per-request timeout of the
		// http.Client is a *url.Error with Timeout() true, handled below.
		if ue, ok := errors.AsType[*url.Error](err); !ok || !ue.Timeout() {
			return false
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return false
}
