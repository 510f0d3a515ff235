package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/client"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/docs"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/witness"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Middleware wraps the handler of one /v1 route. It runs after routing, so
// r.Pattern names the route ("POST /v1/events" is "/v1/events"), and before the body is
// read. It refuses a request by calling WriteError with a *ledger.Problem (for a rate
// limit: Kind ErrRateLimited, which answers 429) and not calling next.
type Middleware func(next http.Handler) http.Handler

// Config wires a Server. Ledger is required; everything else is optional.
type Config struct {
	Ledger *ledger.Ledger
	// Metrics records appends and requests; nil records nothing.
	Metrics *Metrics
	// Gatherer serves /metrics; nil answers /metrics with 404.
	Gatherer prometheus.Gatherer
	// Logger receives one line per refusal or failure; never a request body.
	Logger *slog.Logger
	// Middleware wraps every /v1 route, the first element outermost. This is where
	// per-client rate limits and read authorisation plug in.
	Middleware []Middleware
	// DevRootKeyFile, if set, is published in GET /v1/ledger as dev_root_key_file: the
	// absolute path of the root private key when the data directory holds it
	// (single-operator mode), so that ledgerctl load needs no key flags. Production
	// (--root-pub) leaves it empty and the field absent.
	DevRootKeyFile string
	// KeyStore, if set, serves GET /v1/events/{id}/plaintext: the entry's payload with
	// its protected fields decrypted (api/privacy.go), for the roles Access lets decrypt.
	KeyStore privacy.KeyStore
	// CheckpointWait bounds how long GET /v1/events/{id} waits for a checkpoint covering
	// a just-committed entry (default 2 s).
	CheckpointWait time.Duration
	// Witnesses, if set, takes cosignatures (POST /v1/checkpoint/cosignatures) and the
	// checkpoints served carry them (api/witness.go).
	Witnesses *witness.Collector
	// Published, if set, lists the checkpoints published outside the store (ledgerd's
	// DirPublisher); GET /v1/snapshot carries them beside the store copy (api/snapshot.go).
	Published PublishedCheckpoints
	// LedgerKey, if set, serves POST /v1/bundles: evidence bundles whose export the
	// server records under this key (api/bundles.go). It must be the ledger's own key
	// (the one Ledger signs checkpoints with). Without it the route answers 501.
	LedgerKey crypto.Signer
	// BundleMaxEntries bounds the entries one bundle may select (default
	// DefaultBundleMaxEntries); a larger selection is refused with 413.
	BundleMaxEntries uint64
	// Reports, if set, serves GET /v1/reports/{kind} (api/reports.go).
	Reports *Reports
	// Search, if set, serves GET /v1/events (api/search.go); Streams scopes its results
	// for an institution as single reads are scoped (the same StreamHolders as Access).
	Search  Searcher
	Streams StreamHolders
}

// Server is the HTTP face of one ledger. It is an http.Handler and safe for concurrent
// use.
type Server struct {
	cfg      Config
	l        *ledger.Ledger
	log      *slog.Logger
	mux      *http.ServeMux
	draining atomic.Bool
	maxBody  int64
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Ledger == nil {
		return nil, errors.New("api: Config.Ledger is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CheckpointWait <= 0 {
		cfg.CheckpointWait = 2 * time.Second
	}
	s := &Server{cfg: cfg, l: cfg.Ledger, log: cfg.Logger, mux: http.NewServeMux()}
	s.maxBody = requestLimit(cfg.Ledger.Limits())
	cfg.Metrics.watch(cfg.Ledger)

	v1 := func(pattern string, h http.HandlerFunc, methods ...string) {
		var hh http.Handler = h
		for i := len(cfg.Middleware) - 1; i >= 0; i-- {
			hh = cfg.Middleware[i](hh)
		}
		s.mux.Handle(pattern, s.only(methods, hh))
		cfg.Metrics.initRoute(pattern, methods)
	}
	if cfg.Search != nil {
		v1("/v1/events", s.events, http.MethodPost, http.MethodGet)
	} else {
		v1("/v1/events", s.postEvent, http.MethodPost)
	}
	v1(batchRoute, s.postBatch, http.MethodPost)
	v1("/v1/events/{id}", s.getEvent, http.MethodGet, http.MethodHead)
	v1("/v1/checkpoint", s.getCheckpoint, http.MethodGet, http.MethodHead)
	v1("/v1/ledger", s.getLedger, http.MethodGet, http.MethodHead)
	v1("/v1/keys/{key_id}", s.getKey, http.MethodGet, http.MethodHead)
	v1("/v1/proofs/inclusion", s.getInclusionProof, http.MethodGet, http.MethodHead)
	v1("/v1/proofs/consistency", s.getConsistencyProof, http.MethodGet, http.MethodHead)
	v1("/v1/checkpoint/cosignatures", s.postCosignature, http.MethodPost)
	v1("/v1/event-types", s.getEventTypes, http.MethodGet, http.MethodHead)
	v1("/v1/event-types/{type}/schema", s.getEventTypeSchema, http.MethodGet, http.MethodHead)
	v1("/v1/snapshot", s.getSnapshot, http.MethodGet)
	v1("/v1/whoami", s.getWhoami, http.MethodGet, http.MethodHead)
	v1("/v1/bundles", s.postBundle, http.MethodPost)
	v1("/v1/backups", s.postBackup, http.MethodPost)
	if cfg.KeyStore != nil {
		v1("/v1/events/{id}/plaintext", s.getPlaintext, http.MethodGet, http.MethodHead)
	}
	if cfg.Reports != nil {
		v1("/v1/reports/{kind}", s.getReport, http.MethodGet)
	}
	s.mux.Handle("/healthz", s.only([]string{http.MethodGet, http.MethodHead}, http.HandlerFunc(s.healthz)))
	s.mux.Handle("/readyz", s.only([]string{http.MethodGet, http.MethodHead}, http.HandlerFunc(s.readyz)))
	s.mux.Handle("/openapi.yaml", s.only([]string{http.MethodGet, http.MethodHead}, http.HandlerFunc(s.openapi)))
	if cfg.Gatherer != nil {
		s.mux.Handle("/metrics", s.only([]string{http.MethodGet, http.MethodHead},
			promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelError)})))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, problem(ledger.ErrNotFound, "not_found", "", "no such route: "+r.URL.Path, "无此路径："+r.URL.Path))
	})
	return s, nil
}

// ServeHTTP routes the request and counts it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &statusWriter{ResponseWriter: w}
	s.mux.ServeHTTP(rw, r)
	route := r.Pattern
	if route == "" || route == "/" {
		route = "unmatched"
	}
	s.cfg.Metrics.observeRequest(route, methodLabel(r.Method), rw.code())
}

// Drain marks the server as going away: /readyz answers 503 from now on so that load
// balancers stop sending work, while requests in flight and already queued submissions
// complete. ledgerd calls it on SIGTERM before shutting the listener down.
func (s *Server) Drain() { s.draining.Store(true) }

// only answers 405 with an Allow header for methods a route does not serve.
func (s *Server) only(methods []string, h http.Handler) http.Handler {
	allow := ""
	for i, m := range methods {
		if i > 0 {
			allow += ", "
		}
		allow += m
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Allow", allow)
		WriteError(w, problem(ErrMethodNotAllowed, "method_not_allowed", "",
			fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow),
			fmt.Sprintf("%s 不允许使用 %s 方法；允许：%s", r.URL.Path, r.Method, allow)))
	})
}

// receiptJSON is the body of 201 and 200 answers to POST /v1/events.
type receiptJSON struct {
	Seq           uint64      `json:"seq"`
	Hash          ledger.Hash `json:"hash"`
	StreamVersion uint64      `json:"stream_version"`
}

// events is /v1/events: POST records a submission, GET searches.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		s.getEvents(w, r)
		return
	}
	s.postEvent(w, r)
}

func (s *Server) postEvent(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	fail := func(err error) {
		status, p := s.answered(r, ledger.Receipt{}, err, time.Since(start))
		writeProblems(w, status, p, err)
	}
	if err := requireJSON(r); err != nil {
		fail(err)
		return
	}
	// DecodeRequest + Append is Ledger.AppendJSON, split to learn the id for Location. The
	// write middleware may have decoded the body already (to bind a token to its actor).
	d, ok := r.Context().Value(decodedKey{}).(decoded)
	if !ok {
		body, err := s.readBody(w, r)
		if err != nil {
			fail(err)
			return
		}
		d.signed, d.err = ledger.DecodeRequest(body, s.l.Limits())
	}
	if d.err != nil {
		fail(d.err)
		return
	}
	signed := d.signed
	rc, err := s.l.Append(r.Context(), signed)
	if err != nil {
		fail(err)
		return
	}
	w.Header().Set("Location", "/v1/events/"+signed.Submission.ID)
	status, _ := s.answered(r, rc, nil, time.Since(start))
	writeJSON(w, status, receiptJSON{Seq: rc.Seq, Hash: rc.Hash, StreamVersion: rc.StreamVersion})
}

// answered is one submission's answer as POST /v1/events gives it — 201 recorded, 200
// recorded before, or the refusal's status and problem (nil when recorded) — counted in
// the append metrics and, if refused, logged. POST /v1/events:batch answers each item so.
func (s *Server) answered(r *http.Request, rc ledger.Receipt, err error, took time.Duration) (int, *ledger.Problem) {
	if err != nil {
		status, p := classify(err)
		outcome := OutcomeRefused
		if status >= 500 {
			outcome = OutcomeFailed
		}
		s.cfg.Metrics.observeAppend(outcome, p.Code, took)
		logRefusal(s.log, r, status, p, err)
		return status, p
	}
	status, outcome := http.StatusCreated, OutcomeCreated
	if rc.Duplicate {
		status, outcome = http.StatusOK, OutcomeDuplicate
	}
	s.cfg.Metrics.observeAppend(outcome, "ok", took)
	return status, nil
}

// requireJSON refuses bodies not declared as JSON: a form post or text/plain body is a
// client bug, and saying so beats a confusing decode error.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		if cs, ok := params["charset"]; !ok || cs == "utf-8" || cs == "UTF-8" {
			return nil
		}
	}
	return problem(ErrUnsupportedMediaType, "unsupported_media_type", "",
		fmt.Sprintf("Content-Type must be application/json (UTF-8), got %q", ct),
		fmt.Sprintf("Content-Type 必须为 application/json（UTF-8），实为 %q", ct))
}

// requestLimit is the largest body of one submission the ledger takes.
func requestLimit(lim ledger.Limits) int64 {
	if lim.MaxRequestBytes <= 0 {
		return int64(ledger.DefaultLimits.MaxRequestBytes)
	}
	return int64(lim.MaxRequestBytes)
}

// readBody reads at most the ledger's request limit, refusing a declared length beyond
// it before reading anything.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > s.maxBody {
		return nil, &http.MaxBytesError{Limit: s.maxBody}
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.maxBody)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, problem(ledger.ErrInvalid, "malformed_body", "", "could not read the request body: "+err.Error(), "无法读取请求体")
	}
	return buf.Bytes(), nil
}

// eventJSON is the body of GET /v1/events/{id}: the entry exactly as hashed (base64),
// the same bytes as JSON for reading, and an inclusion proof against a signed
// checkpoint that covers it.
type eventJSON = client.Event

// eventSeq resolves the {id} of an event route to its position, answering the request
// itself (400 for a malformed id, 404 for an unknown one) when it cannot.
func (s *Server) eventSeq(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	id := r.PathValue("id")
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		s.refuse(w, r, problem(ledger.ErrInvalid, "bad_id", "id", "the event id must be a lowercase hyphenated UUID", "事件 id 必须是小写、带连字符的 UUID"))
		return 0, false
	}
	pos, err := s.l.Store().Lookup(r.Context(), []string{id})
	if err != nil {
		s.refuse(w, r, fmt.Errorf("looking up %s: %w", id, err))
		return 0, false
	}
	seq, ok := pos[id]
	if !ok {
		s.refuse(w, r, problem(ledger.ErrNotFound, "not_found", "id", "no event with this id is recorded", "未记录此 id 的事件"))
		return 0, false
	}
	return seq, true
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	seq, ok := s.eventSeq(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	st := s.l.Store()
	var out eventJSON
	err := st.Entries(ctx, seq, seq+1, func(e ledger.RawEntry) error {
		out.Seq, out.Hash = e.Seq, e.Hash
		out.Entry = bytes.Clone(e.Bytes)
		return nil
	})
	if err == nil && out.Entry == nil {
		err = fmt.Errorf("entry %d is indexed but not stored", seq)
	}
	if err != nil {
		s.refuse(w, r, fmt.Errorf("reading entry %d: %w", seq, err))
		return
	}
	e, err := ledger.ParseEntry(out.Entry)
	if err != nil {
		s.refuse(w, r, fmt.Errorf("parsing entry %d: %w", seq, err))
		return
	}
	out.StreamVersion, out.Decoded = e.StreamVersion, out.Entry
	c, err := s.checkpointCovering(ctx, seq)
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	p, err := ledger.InclusionProof(ctx, st, seq, c.Size)
	if err != nil {
		s.refuse(w, r, fmt.Errorf("building the inclusion proof of %d in %d: %w", seq, c.Size, err))
		return
	}
	out.TreeSize, out.InclusionProof, out.Checkpoint = c.Size, p, string(c.Note)
	if out.InclusionProof == nil {
		out.InclusionProof = []ledger.Hash{}
	}
	writeJSON(w, http.StatusOK, out)
}

// checkpointCovering returns the latest checkpoint if it covers seq, else signs one on
// demand. The sequencer updates the store before the in-memory head, so an entry can be
// readable a moment before a checkpoint can cover it; that moment is waited out.
func (s *Server) checkpointCovering(ctx context.Context, seq uint64) (ledger.Checkpoint, error) {
	deadline := time.Now().Add(s.cfg.CheckpointWait)
	for {
		if c, ok := s.l.LatestCheckpoint(); ok && c.Size > seq {
			return c, nil
		}
		c, err := s.l.Checkpoint(ctx)
		if err != nil {
			return ledger.Checkpoint{}, fmt.Errorf("signing a checkpoint: %w", err)
		}
		if c.Size > seq {
			return c, nil
		}
		if time.Now().After(deadline) {
			return ledger.Checkpoint{}, problem(ErrUnavailable, "checkpoint_pending", "",
				"no checkpoint covers this entry yet; retry shortly", "尚无覆盖此条目的检查点，请稍后重试")
		}
		select {
		case <-ctx.Done():
			return ledger.Checkpoint{}, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) {
	c, ok := s.l.LatestCheckpoint()
	if !ok {
		var err error
		if c, err = s.l.Checkpoint(r.Context()); err != nil {
			s.refuse(w, r, fmt.Errorf("signing a checkpoint: %w", err))
			return
		}
	}
	note := s.cosigned(c)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(note)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(note)
}

// LedgerInfo is the body of GET /v1/ledger. The wire types are defined once, in the
// client package that institutions embed (which must not pull in the server's
// dependencies); the server speaks them through these aliases.
type (
	LedgerInfo = client.LedgerInfo
	KeyInfo    = client.KeyInfo
)

func (s *Server) getLedger(w http.ResponseWriter, r *http.Request) {
	reg := s.l.Registry()
	info := LedgerInfo{Origin: reg.Origin, Authority: reg.Authority, Size: s.l.Size(),
		LedgerKey: keyInfo(reg, reg.LedgerKey), RootKey: keyInfo(reg, reg.RootKey), DevRootKeyFile: s.cfg.DevRootKeyFile}
	writeJSON(w, http.StatusOK, info)
}

// getKey serves one registered key: public keys are public, and a verifier in a browser
// needs the actor's key to check a signature itself.
func (s *Server) getKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("key_id")
	k, ok := s.l.Registry().Key(id)
	if !ok {
		s.refuse(w, r, problem(ledger.ErrNotFound, "unknown_key", "key_id", "no key with this id is registered", "未登记此密钥"))
		return
	}
	out := client.RegisteredKey{KeyID: id, Institution: k.Institution, Role: k.Role, Person: k.Person,
		PublicKey: string(crypto.MarshalPublicKeyPEM(k.Key)), RegisteredAt: k.RegisteredAt}
	if k.Revoked {
		out.RevokedAt = &k.RevokedAt
	}
	writeJSON(w, http.StatusOK, out)
}

func keyInfo(reg *ledger.Registry, id string) KeyInfo {
	k := KeyInfo{ID: id}
	if ki, ok := reg.Key(id); ok {
		k.PEM = string(crypto.MarshalPublicKeyPEM(ki.Key))
	}
	return k
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is ready when the server is not draining and the store answers a read. The
// sequencer runs from ledger.Open until Ledger.Close, and ledgerd drains this server
// before closing the ledger, so "not draining" covers it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		WriteError(w, problem(ErrUnavailable, "draining", "", "the server is draining and will stop", "服务正在排空并将停止"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if _, err := s.l.Store().Head(ctx); err != nil {
		s.log.Warn("readiness probe: store unavailable", "err", err)
		WriteError(w, problem(ErrUnavailable, "store_unavailable", "", "the ledger store does not answer", "账本存储无应答"))
		return
	}
	// A store that stopped writes after a disk failure (boltstore) is not ready: a load
	// balancer should send submissions elsewhere until it is restarted.
	if wf, ok := s.l.Store().(interface{ WriteFailure() error }); ok {
		if err := wf.WriteFailure(); err != nil {
			WriteError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(docs.OpenAPI)
}

// refuse answers a read with the JSON error for err and logs it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status, p := classify(err)
	logRefusal(s.log, r, status, p, err)
	writeProblem(w, status, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, errInternal)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// statusWriter remembers the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// methodLabel keeps the metric's label set bounded whatever method a client sends.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
		return m
	}
	return "other"
}
