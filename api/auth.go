package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Access configures read authorisation, per-client rate limits and the read-audit log
// for a Server. NewAccess turns it into a Middleware for Config.Middleware.
//
// The policy, route by route (docs/access.md has the full matrix):
//
//   - public, no credential: GET /v1/checkpoint and GET /v1/proofs/consistency (tree
//     hashes, published for witnesses by design), GET /v1/ledger (the ledger's identity
//     and public keys), POST /v1/checkpoint/cosignatures (a witness's signature is its
//     credential); and, outside /v1, /healthz, /readyz, /metrics and /openapi.yaml;
//   - POST /v1/events: the SM2 signature of a registered key is the credential; with
//     RequireWriteToken also a token of role institution, submitter or authority, whose
//     institution (if bound) must be the submission's actor.institution;
//   - every other /v1 route reads event data: it needs a credential whose role may read
//     what the route names ({id}: the event, {seq} or ?seq= on /v1/proofs/inclusion: the
//     entry, {stream}: the stream); a
//     route that names none of these (a range, a snapshot) is for the roles that read
//     everything, and POST /v1/bundles (an export) for the roles that export. Every such request is written to the audit log before its answer is
//     sent; if the audit log cannot be written, the answer is 503 and nothing is served.
type Access struct {
	// Ledger is the ledger whose entries the policy looks at. Required.
	Ledger *ledger.Ledger
	// Authenticator checks credentials; nil means no credential is valid (every read
	// answers 401) unless Dev.
	Authenticator *auth.Authenticator
	// Audit records every read of event data. Required unless Dev.
	Audit *auth.AuditLog
	// Dev serves every route without credentials (reads are audited as person
	// "anonymous" if Audit is set). Only for development: ledgerd requires --auth=dev to
	// say so explicitly.
	Dev bool
	// RequireWriteToken makes POST /v1/events need a token too.
	RequireWriteToken bool
	// ReadLimit bounds reads per client (credential, or address when there is none);
	// WriteLimit bounds submissions per client; FailLimit bounds failed credential checks
	// per address, so that guessing costs the guesser, not the server's KDF. nil: no limit.
	ReadLimit, WriteLimit, FailLimit *auth.Limiter
	// Streams says which streams an institution holds: the domain's ownership rule
	// (domain/registry.State.MayRead), never a stream's first writer. nil: an institution
	// reads only the entries it signed.
	Streams StreamHolders
	// Logger receives refusals (never payloads or tokens).
	Logger *slog.Logger
}

// StreamHolders is the domain's answer to "does this institution hold that stream at
// that position" (docs/access.md, "its own data"). It must be safe for concurrent use.
type StreamHolders interface {
	MayRead(institution, stream string, seq uint64) bool
}

// NewAccess checks a and returns the middleware.
func NewAccess(a Access) (Middleware, error) {
	if a.Ledger == nil {
		return nil, errors.New("api: Access.Ledger is required")
	}
	if !a.Dev && a.Audit == nil {
		return nil, errors.New("api: Access.Audit is required unless Dev: every read of event data must be recorded")
	}
	if a.Logger == nil {
		a.Logger = slog.Default()
	}
	ac := &access{Access: a}
	return ac.wrap, nil
}

type access struct{ Access }

// publicRoutes need no credential: checkpoints and consistency proofs carry only tree
// hashes and are published for witnesses by design; the ledger's identity carries public
// keys; a cosignature is authenticated by the witness's own signature in its handler.
var publicRoutes = map[string]bool{
	"/v1/checkpoint": true, "/v1/ledger": true, "/v1/keys/{key_id}": true,
	"/v1/proofs/consistency": true, "/v1/checkpoint/cosignatures": true,
	// The event catalogue and its schemas describe types, not events.
	"/v1/event-types": true, "/v1/event-types/{type}/schema": true,
}

// seqQueryRoutes name an entry by the query parameter seq.
var seqQueryRoutes = map[string]bool{"/v1/proofs/inclusion": true}

// decryptRoutes serve protected fields in clear.
var decryptRoutes = map[string]bool{"/v1/events/{id}/plaintext": true}

// searchRoutes search the log: every reading role reaches them, and the handler shows
// each only what it may read (Server.visibleTo).
var searchRoutes = map[string]bool{"/v1/events": true}

// reportRoutes render a report over the whole log: only roles that may read that kind
// (auth.Role.Reports) reach them.
var reportRoutes = map[string]bool{"/v1/reports/{kind}": true}

// exportRoutes copy evidence out of the ledger and record that they did: only roles that
// may export (auth.Role.Exports) reach them.
var exportRoutes = map[string]bool{"/v1/bundles": true, "/v1/backups": true}

// selfRoutes tell a caller about its own credential: every authenticated role reaches
// them, the submitter included, and they read no event data.
var selfRoutes = map[string]bool{"/v1/whoami": true}

// principalKey carries the authenticated *auth.Principal to handlers that record who
// asked (POST /v1/bundles names the exporting person).
type principalKey struct{}

var (
	errNoCredential = problem(ErrUnauthenticated, "unauthenticated", "",
		"this endpoint needs a credential: an Authorization: Bearer token or a registered client certificate",
		"此接口需要凭据：Authorization: Bearer 令牌或已登记的客户端证书")
	errBadCredential = problem(ErrUnauthenticated, "bad_credentials", "",
		"the credential presented is not accepted (unknown, revoked, expired or wrong)",
		"所提供的凭据不被接受（未知、已吊销、已过期或错误）")
	errAuditDown = problem(ErrUnavailable, "audit_unavailable", "",
		"the read-audit log cannot be written, so no event data is served; the operator has been told",
		"读取审计日志无法写入，因此不提供事件数据；已通知运维人员")
)

func forbidden(p *auth.Principal, what string) *ledger.Problem {
	return problem(ledger.ErrUnauthorized, "forbidden", "",
		fmt.Sprintf("role %s may not %s", p.Role, what),
		fmt.Sprintf("角色“%s”无权%s", p.Role.ZH(), zhWhat(what)))
}

func zhWhat(what string) string {
	switch what {
	case "read this":
		return "读取此数据"
	case "read protected fields of this entry in clear":
		return "查看此条目中受保护字段的明文"
	case "submit events":
		return "提交事件"
	case "read event data":
		return "读取事件数据"
	case "export evidence bundles":
		return "导出证据包"
	case "read this report":
		return "读取此报告"
	}
	return what
}

func rateLimited(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	WriteError(w, problem(ErrRateLimited, "rate_limited", "",
		fmt.Sprintf("too many requests from this client; retry after %d s", secs),
		fmt.Sprintf("该客户端请求过于频繁，请 %d 秒后重试", secs)))
}

func unauthenticated(w http.ResponseWriter, p *ledger.Problem) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="dataledger"`)
	WriteError(w, p)
}

// remoteIP is the client's address. X-Forwarded-For is not trusted: behind a proxy every
// client shares the proxy's bucket unless the proxy authenticates them itself.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *access) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case publicRoutes[r.Pattern]:
			if ok, wait := a.ReadLimit.Allow("ip:" + remoteIP(r)); !ok {
				rateLimited(w, wait)
				return
			}
			next.ServeHTTP(w, r)
		case r.Method == http.MethodPost && (r.Pattern == "/v1/events" || r.Pattern == batchRoute):
			a.write(w, r, next)
		default:
			a.read(w, r, next)
		}
	})
}

// authenticate applies the failure budget around the KDF.
func (a *access) authenticate(r *http.Request) (*auth.Principal, *ledger.Problem, time.Duration) {
	if a.Authenticator == nil {
		if r.Header.Get("Authorization") == "" && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
			return nil, errNoCredential, 0
		}
		return nil, errBadCredential, 0
	}
	ip := "ip:" + remoteIP(r)
	if tok, ok := auth.BearerToken(r.Header.Get("Authorization")); ok && a.Authenticator.NeedsKDF(tok) {
		// Charge the expensive check before doing it.
		if ok, wait := a.FailLimit.Allow(ip); !ok {
			return nil, nil, wait
		}
	}
	p, err := a.Authenticator.Authenticate(r)
	switch {
	case err == nil:
		return p, nil, 0
	case errors.Is(err, auth.ErrNoCredentials):
		return nil, errNoCredential, 0
	default:
		a.FailLimit.Allow(ip)
		a.Logger.Info("credential refused", "remote", remoteIP(r), "path", r.URL.Path, "reason", err.Error())
		return nil, errBadCredential, 0
	}
}

func (a *access) write(w http.ResponseWriter, r *http.Request, next http.Handler) {
	client, inst := "ip:"+remoteIP(r), ""
	if a.RequireWriteToken && !a.Dev {
		p, prob, wait := a.authenticate(r)
		if wait > 0 {
			rateLimited(w, wait)
			return
		}
		if prob != nil {
			unauthenticated(w, prob)
			return
		}
		switch p.Role {
		case auth.RoleInstitution, auth.RoleSubmitter, auth.RoleAuthority:
		default:
			if ok, wait := a.WriteLimit.Allow(p.ClientKey()); !ok {
				rateLimited(w, wait)
				return
			}
			WriteError(w, forbidden(p, "submit events"))
			return
		}
		client, inst = p.ClientKey(), p.Institution
	}
	// One submission is charged before its body is read, so that a flood of bodies is
	// refused unread; a batch is charged the rest of its items once they are counted.
	if ok, wait := a.WriteLimit.Allow(client); !ok {
		rateLimited(w, wait)
		return
	}
	switch {
	case r.Pattern == batchRoute:
		d, ok := a.bindBatch(w, r, client, inst)
		if !ok {
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), decodedBatchKey{}, d))
	case inst != "":
		// Decode the submission once, here, with the ledger's own strict decoder, and hand
		// the parsed document to the handler: the institution checked against the token is
		// then the institution recorded, whatever the body's spelling.
		body, err := readLimited(w, r, requestLimit(a.Ledger.Limits()))
		if err != nil {
			WriteError(w, err)
			return
		}
		signed, derr := ledger.DecodeRequest(body, a.Ledger.Limits())
		if derr == nil && signed.Submission.Actor.Institution != inst {
			WriteError(w, mismatch(inst, signed.Submission.Actor.Institution, -1))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), decodedKey{}, decoded{signed: signed, err: derr}))
	}
	next.ServeHTTP(w, r)
}

// mismatch refuses a submission for another institution than the token's; item is the
// submission's index in a batch (-1: a single submission).
func mismatch(tokenInst, inst string, item int) *ledger.Problem {
	if item < 0 {
		return problem(ledger.ErrUnauthorized, "token_institution_mismatch", "submission.actor.institution",
			fmt.Sprintf("this token submits for %s, not for %s", tokenInst, inst),
			fmt.Sprintf("此令牌只能代表 %s 提交，不能代表 %s", tokenInst, inst))
	}
	return problem(ledger.ErrUnauthorized, "token_institution_mismatch", fmt.Sprintf("[%d].submission.actor.institution", item),
		fmt.Sprintf("this token submits for %s, not for %s (item %d of the batch)", tokenInst, inst, item),
		fmt.Sprintf("此令牌只能代表 %s 提交，不能代表 %s（批量提交第 %d 项）", tokenInst, inst, item))
}

// bindBatch decodes a batch, binds every item to the token's institution (inst; "" for
// a credential bound to none) and charges the client for the items beyond the first. A
// single item for another institution refuses the whole request: nothing of it is
// written.
func (a *access) bindBatch(w http.ResponseWriter, r *http.Request, client, inst string) (decodedBatch, bool) {
	d := decodeBatch(w, r, a.Ledger.Limits())
	if d.err != nil {
		return d, true // postBatch refuses it with the decoder's reason
	}
	for i, s := range d.items {
		if inst != "" && d.errs[i] == nil && s.Submission.Actor.Institution != inst {
			WriteError(w, mismatch(inst, s.Submission.Actor.Institution, i))
			return d, false
		}
	}
	if b := a.WriteLimit.Burst(); b > 0 && len(d.items) > b {
		WriteError(w, &ledger.Problem{Kind: ledger.ErrTooLarge, Code: "batch_over_write_burst",
			Message:   fmt.Sprintf("the batch holds %d submissions; this client may send at most %d at once", len(d.items), b),
			MessageZH: fmt.Sprintf("批量提交包含 %d 项；该客户端一次最多提交 %d 项", len(d.items), b)})
		return d, false
	}
	if ok, wait := a.WriteLimit.AllowN(client, len(d.items)-1); !ok {
		rateLimited(w, wait)
		return d, false
	}
	return d, true
}

// decodedKey carries the submission the write middleware already decoded (decoded) to
// postEvent, so that the body is parsed once and the token binding and the ledger read
// the same document.
type decodedKey struct{}

type decoded struct {
	signed *ledger.Signed
	err    error
}

// readLimited reads at most limit bytes of the body, refusing a longer one.
func readLimited(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, problem(ledger.ErrInvalid, "malformed_body", "", "could not read the request body", "无法读取请求体")
	}
	return b, nil
}

// auditNote is what a read touched, filled by the policy check and by handlers (through
// noteRead), and written to the audit log.
type auditNote struct {
	ids, streams, decrypted []string
	seqs                    []uint64
}

type auditKey struct{}

// noteRead adds to the audit record of the current request, if it is audited.
func noteRead(ctx context.Context, fn func(n *auditNote)) {
	if n, ok := ctx.Value(auditKey{}).(*auditNote); ok {
		fn(n)
	}
}

var anonymous = &auth.Principal{Role: auth.RoleAuthority, Person: "anonymous", Method: "dev"}

func (a *access) read(w http.ResponseWriter, r *http.Request, next http.Handler) {
	note := &auditNote{}
	rec := auth.AuditRecord{Method: r.Method, Route: r.Pattern, Path: r.URL.RequestURI(), Remote: remoteIP(r)}
	var p *auth.Principal
	if a.Dev {
		p = anonymous
	} else {
		var prob *ledger.Problem
		var wait time.Duration
		p, prob, wait = a.authenticate(r)
		if wait > 0 {
			rateLimited(w, wait)
			return
		}
		if prob != nil {
			// Requests without a valid credential are limited per address before they are
			// recorded: a flood costs the flooder its 429s, not the audit log its disk.
			if ok, wait := a.ReadLimit.Allow("ip:" + rec.Remote); !ok {
				rateLimited(w, wait)
				return
			}
			rec.Person, rec.Outcome, rec.Status = "", auth.OutcomeUnauthenticated, http.StatusUnauthorized
			if !a.audit(w, rec, note) {
				return
			}
			unauthenticated(w, prob)
			return
		}
	}
	rec.Person, rec.Role, rec.Institution, rec.Credential = p.Person, p.Role, p.Institution, p.Credential
	client := p.ClientKey()
	if p.Credential == "" {
		client = "ip:" + rec.Remote
	}
	if ok, wait := a.ReadLimit.Allow(client); !ok {
		rateLimited(w, wait)
		return
	}
	if prob, err := a.authorise(r, p, note); err != nil || prob != nil {
		if err != nil {
			a.Logger.Error("authorising a read", "path", r.URL.Path, "err", err)
			rec.Outcome, rec.Status = auth.OutcomeFailed, http.StatusInternalServerError
			if a.audit(w, rec, note) {
				WriteError(w, err)
			}
			return
		}
		rec.Outcome = auth.OutcomeDenied
		rec.Status, _ = classify(prob)
		if a.audit(w, rec, note) {
			a.Logger.Info("read refused", "person", p.Person, "role", p.Role, "institution", p.Institution, "path", r.URL.Path)
			WriteError(w, prob)
		}
		return
	}
	ctx := context.WithValue(context.WithValue(r.Context(), auditKey{}, note), principalKey{}, p)
	if streamRoutes[r.Pattern] {
		// Too large to buffer: recorded when the handler sends its status, before the body.
		sw := &auditedStream{w: w, header: http.Header{}, audit: func(status int) bool {
			rec.Status, rec.Outcome = status, outcomeOf(status)
			return a.audit(w, rec, note)
		}}
		next.ServeHTTP(sw, r.WithContext(ctx))
		sw.finish()
		return
	}
	// Serve into a buffer, record the read, then release the answer: a read that could
	// not be recorded discloses nothing.
	buf := &bufferedResponse{header: http.Header{}}
	next.ServeHTTP(buf, r.WithContext(ctx))
	rec.Status = buf.code()
	rec.Outcome = outcomeOf(rec.Status)
	if !a.audit(w, rec, note) {
		return
	}
	buf.flushTo(w)
}

func outcomeOf(status int) string {
	switch {
	case status < 400:
		return auth.OutcomeAllowed
	case status == http.StatusNotFound:
		return auth.OutcomeNotFound
	case status == http.StatusUnauthorized:
		return auth.OutcomeUnauthenticated
	case status == http.StatusForbidden:
		return auth.OutcomeDenied
	case status < 500:
		return auth.OutcomeInvalid
	}
	return auth.OutcomeFailed
}

// audit writes the record; on failure it answers 503 and returns false.
func (a *access) audit(w http.ResponseWriter, rec auth.AuditRecord, n *auditNote) bool {
	if a.Audit == nil {
		return true // Dev without an audit log
	}
	rec.IDs, rec.Seqs, rec.Streams, rec.Decrypted = n.ids, n.seqs, n.streams, n.decrypted
	if err := a.Audit.Append(rec); err != nil {
		a.Logger.Error("read-audit log write failed; refusing reads", "err", err)
		WriteError(w, errAuditDown)
		return false
	}
	return true
}

// target is what a route names, resolved from the store.
type target struct {
	found       bool
	institution string // actor.institution of the entry; "" for a stream
	stream      string
	seq         uint64
	byID        bool // named by event id (not by a position, whose existence is public)
}

// authorise decides whether p may read what r names. It returns a 403 problem, or an
// error when the store fails; (nil, nil) means go ahead. Invalid or unknown ids pass, so
// the handler answers them (400, 404) as it would for anyone allowed to ask.
func (a *access) authorise(r *http.Request, p *auth.Principal, n *auditNote) (*ledger.Problem, error) {
	if selfRoutes[r.Pattern] {
		return nil, nil
	}
	decrypt := decryptRoutes[r.Pattern]
	if p.Role == auth.RoleSubmitter {
		return forbidden(p, "read event data"), nil
	}
	if decrypt && !p.Role.Decrypts() {
		return forbidden(p, "read protected fields of this entry in clear"), nil
	}
	if exportRoutes[r.Pattern] && !p.Role.Exports() {
		if r.Pattern == "/v1/backups" {
			return forbidden(p, "take backups"), nil
		}
		return forbidden(p, "export evidence bundles"), nil
	}
	if reportRoutes[r.Pattern] && !p.Role.Reports(r.PathValue("kind")) {
		return forbidden(p, "read this report"), nil
	}
	if searchRoutes[r.Pattern] {
		return nil, nil // the submitter was refused above; results are scoped per hit
	}
	t, named, err := a.resolve(r, n)
	if err != nil {
		return nil, err
	}
	if !named {
		if p.Role.ReadsAll() && (!decrypt || p.Role.Decrypts()) {
			return nil, nil
		}
		return forbidden(p, "read this"), nil
	}
	if !t.found {
		return nil, nil
	}
	if p.Role.ReadsAll() {
		return nil, nil
	}
	holds := a.Streams != nil && a.Streams.MayRead(p.Institution, t.stream, t.seq)
	if decrypt && !p.CanDecrypt(t.institution, holds) || !p.CanRead(t.institution, holds) {
		if t.byID {
			// Someone else's event answers as an unknown one would: knowing or guessing an
			// id tells nothing (the audit log still records the refusal).
			return errNotFound, nil
		}
		if decrypt {
			return forbidden(p, "read protected fields of this entry in clear"), nil
		}
		return forbidden(p, "read this"), nil
	}
	return nil, nil
}

var errNotFound = problem(ledger.ErrNotFound, "not_found", "id", "no event with this id is recorded", "未记录此 id 的事件")

// resolve finds the event, entry or stream the route names. named is false for routes
// that name none of them.
func (a *access) resolve(r *http.Request, n *auditNote) (target, bool, error) {
	ctx := r.Context()
	st := a.Ledger.Store()
	var t target
	if id := r.PathValue("id"); id != "" {
		n.ids = append(n.ids, id)
		if u, err := uuid.Parse(id); err != nil || u.String() != id {
			return t, true, nil
		}
		pos, err := st.Lookup(ctx, []string{id})
		if err != nil {
			return t, true, fmt.Errorf("looking up %s: %w", id, err)
		}
		seq, ok := pos[id]
		if !ok {
			return t, true, nil
		}
		t, named, err := a.entryTarget(ctx, seq, n)
		t.byID = true
		return t, named, err
	}
	s := r.PathValue("seq")
	if seqQueryRoutes[r.Pattern] {
		if s = r.URL.Query().Get("seq"); s == "" {
			return t, true, nil // the handler refuses the missing parameter
		}
	}
	if s != "" {
		seq, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return t, true, nil
		}
		return a.entryTarget(ctx, seq, n)
	}
	if s := r.PathValue("stream"); s != "" {
		n.streams = append(n.streams, s)
		// A stream is read as a whole: its holder may, from the start, others may not.
		return target{found: true, stream: s}, true, nil
	}
	return t, false, nil
}

func (a *access) entryTarget(ctx context.Context, seq uint64, n *auditNote) (target, bool, error) {
	var t target
	err := a.Ledger.Store().Entries(ctx, seq, seq+1, func(re ledger.RawEntry) error {
		e, err := ledger.ParseEntry(bytes.Clone(re.Bytes))
		if err != nil {
			return fmt.Errorf("parsing entry %d: %w", seq, err)
		}
		t = target{found: true, institution: e.Submission.Actor.Institution, stream: e.Submission.Stream, seq: seq}
		n.seqs = append(n.seqs, seq)
		n.streams = append(n.streams, e.Submission.Stream)
		return nil
	})
	return t, true, err
}

// bufferedResponse holds an answer until the read is audited.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) code() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

func (b *bufferedResponse) flushTo(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	w.WriteHeader(b.code())
	_, _ = w.Write(b.body.Bytes())
}
