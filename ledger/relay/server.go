package relay

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Sequencer is what the relay's server side records submissions with: the ledger of
// the process holding the sequencing lease.
type Sequencer interface {
	AppendVerified(ctx context.Context, items []*ledger.Signed) ([]ledger.Receipt, []error)
	Limits() ledger.Limits
}

// Server is the sequencing point's side of the relay, an http.Handler for Path on a
// listener of its own that only the deployment's front-ends reach. A request is
// accepted only with the deployment's relay secret's MAC over its body and only while
// this process is the sequencing point; anything else is refused before its body is
// decoded, and nothing is written.
type Server struct {
	seq        Sequencer
	secret     []byte
	sequencing func() bool
	log        *slog.Logger
}

// NewServer returns the relay's server side over seq. sequencing says whether this
// process is the sequencing point now; a front-end that sends here while it is not is
// told so (421) and looks again.
func NewServer(seq Sequencer, secret []byte, sequencing func() bool, log *slog.Logger) (*Server, error) {
	if len(secret) < MinSecret {
		return nil, ErrSecret
	}
	if log == nil {
		log = slog.Default()
	}
	return &Server{seq: seq, secret: secret, sequencing: sequencing, log: log}, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		refuse(w, http.StatusNotFound, "not_found", "no such relay route")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(w, http.StatusMethodNotAllowed, "method_not_allowed", "the relay takes POST only")
		return
	}
	sum := r.Header.Get(HeaderMAC)
	if sum == "" {
		refuse(w, http.StatusUnauthorized, "relay_unauthenticated", "a relayed request carries the MAC of the deployment's relay secret")
		return
	}
	// The client closes a request at maxBody, but always sends a first parcel whole: one
	// client's batch (POST /v1/events:batch takes up to 64 request bodies).
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody+64*int64(max(s.seq.Limits().MaxRequestBytes, ledger.DefaultLimits.MaxRequestBytes))))
	if err != nil {
		refuse(w, http.StatusRequestEntityTooLarge, "relay_too_large", "the relayed request is larger than the relay takes")
		return
	}
	if !hmac.Equal([]byte(sum), []byte(mac(s.secret, reqLabel, body))) {
		s.log.Warn("relay: a request with a wrong MAC was refused", "remote", r.RemoteAddr)
		refuse(w, http.StatusUnauthorized, "relay_bad_mac", "the MAC does not match the deployment's relay secret")
		return
	}
	if !s.sequencing() {
		refuse(w, http.StatusMisdirectedRequest, "not_sequencing", "this front-end is not the sequencing point now; look it up again")
		return
	}
	items, errs, err := decodeItems(body, s.seq.Limits())
	if err != nil {
		refuse(w, http.StatusBadRequest, "relay_malformed", err.Error())
		return
	}
	admitted := make([]*ledger.Signed, 0, len(items))
	at := make([]int, 0, len(items))
	for i, it := range items {
		if errs[i] == nil {
			admitted, at = append(admitted, it), append(at, i)
		}
	}
	rcs, aerrs := s.seq.AppendVerified(r.Context(), admitted)
	for j, i := range at {
		errs[i] = aerrs[j]
	}
	resp := make([]byte, 0, 48*len(items))
	j := 0 // the next admitted item's index in at (increasing)
	for i := range items {
		var rc ledger.Receipt
		if j < len(at) && at[j] == i {
			rc, j = rcs[j], j+1
		}
		resp = appendResult(resp, rc, errs[i])
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(HeaderMAC, mac(s.secret, respLabel, []byte(sum), resp))
	w.Write(resp)
}

// refusal is the body of a relay refusal; only front-ends read it, never a person.
type refusal struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func refuse(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(refusal{Code: code, Message: msg})
}

// errRedirected: the process reached is not the sequencing point (421).
var errRedirected = errors.New("the front-end reached is not the sequencing point")
