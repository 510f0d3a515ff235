package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Sentinels of the transport itself, beside the ledger's own (ledger.ErrInvalid, …). A
// middleware that refuses a request returns a *ledger.Problem whose Kind is one of these
// or of the ledger's, and WriteError turns it into the one JSON error shape.
var (
	// ErrUnsupportedMediaType: the request body is not declared as application/json.
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrMethodNotAllowed: the route exists but not for this method.
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrRateLimited: the client sent more than its share; it should retry after the
	// Retry-After header. Reserved for the per-client limiter middleware.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnauthenticated: the request needs a credential and carries none, or one that is
	// not accepted (401, with WWW-Authenticate). Added with access control (api/auth.go).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrUnavailable: the server is draining or not ready; retrying elsewhere or later
	// is safe because submissions are idempotent by id.
	ErrUnavailable = errors.New("unavailable")
	// ErrNotSupported: this server's configuration cannot do what the route asks (a
	// snapshot of a store that is a database server): 501, not worth retrying here.
	ErrNotSupported = errors.New("not supported")
)

// statusOf is the one place where error kinds become HTTP statuses. Order matters only
// in that the first match wins; kinds are disjoint.
var statusOf = []struct {
	kind   error
	status int
}{
	{ledger.ErrInvalid, http.StatusBadRequest},
	{ledger.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{ledger.ErrUnauthorized, http.StatusForbidden},
	{ledger.ErrConflict, http.StatusConflict},
	{ledger.ErrNotFound, http.StatusNotFound},
	{ledger.ErrClosed, http.StatusServiceUnavailable},
	{ledger.ErrUnavailable, http.StatusServiceUnavailable},
	{ErrUnavailable, http.StatusServiceUnavailable},
	{ErrUnsupportedMediaType, http.StatusUnsupportedMediaType},
	{ErrMethodNotAllowed, http.StatusMethodNotAllowed},
	{ErrRateLimited, http.StatusTooManyRequests},
	{ErrUnauthenticated, http.StatusUnauthorized},
	{ErrNotSupported, http.StatusNotImplemented},
}

// ErrorBody and ErrorDetail are the error message every refusal carries (the client
// package's, docs/openapi.yaml's Error).
type (
	ErrorBody   = client.ErrorBody
	ErrorDetail = client.ErrorDetail
)

// problem builds a refusal of the transport's own.
func problem(kind error, code, field, en, zh string) *ledger.Problem {
	return &ledger.Problem{Kind: kind, Code: code, Field: field, Message: en, MessageZH: zh}
}

var (
	errClosed = problem(ledger.ErrClosed, "unavailable", "",
		"the ledger is shutting down and takes no more submissions; retry with the same id",
		"账本正在停止服务，不再接收提交；请以相同 id 重试")
	errTimeout = problem(ErrUnavailable, "timeout", "",
		"the request was cancelled or timed out before the ledger answered; retry with the same id",
		"请求在账本应答前被取消或超时；请以相同 id 重试")
	errInternal = problem(nil, "internal", "",
		"the server failed to process the request; retrying with the same id is safe",
		"服务器处理请求失败；以相同 id 重试是安全的")
)

// classify maps any error to a status and a Problem a client can act on. Errors that are
// not refusals (store failures, bugs) become a generic 500 whose detail stays in the log:
// a client cannot act on it, and it may name internal paths.
func classify(err error) (int, *ledger.Problem) {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return http.StatusRequestEntityTooLarge, problem(ledger.ErrTooLarge, "request_too_large", "",
			fmt.Sprintf("request body exceeds the limit of %d bytes", mb.Limit),
			fmt.Sprintf("请求体超过上限 %d 字节", mb.Limit))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, errTimeout
	}
	p, ok := errors.AsType[*ledger.Problem](err)
	if !ok {
		if errors.Is(err, ledger.ErrClosed) {
			return http.StatusServiceUnavailable, errClosed
		}
		return http.StatusInternalServerError, errInternal
	}
	for _, s := range statusOf {
		if errors.Is(p, s.kind) {
			return s.status, p
		}
	}
	return http.StatusInternalServerError, errInternal
}

// WriteError answers a request with the JSON error for err. Middleware (rate limits,
// authentication) calls it so that every refusal has one shape and one status mapping.
func WriteError(w http.ResponseWriter, err error) {
	status, p := classify(err)
	writeProblem(w, status, p)
}

func writeProblem(w http.ResponseWriter, status int, p *ledger.Problem) {
	writeDetail(w, status, detailOf(p))
}

func writeDetail(w http.ResponseWriter, status int, d ErrorDetail) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: d})
}

func detailOf(p *ledger.Problem) ErrorDetail {
	en, zh := p.Text()
	return ErrorDetail{Code: p.Code, Field: p.Field, Message: en, MessageZH: zh}
}

// writeProblems is writeProblem for an error that may join several problems of the same
// kind (the event catalogue's checker reports every field at fault): all of them are
// listed under problems.
func writeProblems(w http.ResponseWriter, status int, p *ledger.Problem, err error) {
	writeDetail(w, status, detailsOf(p, err))
}

// detailsOf is detailOf for p, with every problem err joins listed under Problems when
// there are several.
func detailsOf(p *ledger.Problem, err error) ErrorDetail {
	d := detailOf(p)
	if all := ledger.Problems(err); len(all) > 1 {
		for _, q := range all {
			d.Problems = append(d.Problems, detailOf(q))
		}
	}
	return d
}

// logRefusal records a refusal without the request body: bodies carry personal data.
func logRefusal(log *slog.Logger, r *http.Request, status int, p *ledger.Problem, err error) {
	switch {
	case status >= 500 && p == errInternal:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	case status >= 500:
		log.Warn("request not served", "method", r.Method, "path", r.URL.Path, "status", status, "code", p.Code)
	default:
		log.Info("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "code", p.Code, "field", p.Field)
	}
}
