package witness

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/ledger"
)

// The tlog-witness add-checkpoint request body:
//
//	old <size>
//	<base64 proof hash>
//	...
//	<empty line>
//	<signed checkpoint note>

// MaxRequestBytes bounds an add-checkpoint body: a checkpoint with a few signatures and
// at most 64 proof hashes fits many times over.
const MaxRequestBytes = 64 << 10

// FormatAddCheckpoint builds an add-checkpoint request body.
func FormatAddCheckpoint(oldSize uint64, proof []ledger.Hash, checkpoint []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(checkpoint)
	return b.Bytes()
}

// ParseAddCheckpoint reads an add-checkpoint request body.
func ParseAddCheckpoint(body []byte) (oldSize uint64, proof []ledger.Hash, checkpoint []byte, err error) {
	head, ckpt, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return 0, nil, nil, fmt.Errorf("%w: no blank line between proof and checkpoint", ErrBadRequest)
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	if !sc.Scan() {
		return 0, nil, nil, fmt.Errorf("%w: missing old line", ErrBadRequest)
	}
	v, ok := strings.CutPrefix(sc.Text(), "old ")
	if !ok {
		return 0, nil, nil, fmt.Errorf("%w: first line must be \"old <size>\"", ErrBadRequest)
	}
	oldSize, err = strconv.ParseUint(v, 10, 64)
	if err != nil || strconv.FormatUint(oldSize, 10) != v {
		return 0, nil, nil, fmt.Errorf("%w: old size %q is not a decimal number", ErrBadRequest, v)
	}
	for sc.Scan() {
		raw, err := base64.StdEncoding.Strict().DecodeString(sc.Text())
		if err != nil || len(raw) != len(ledger.Hash{}) {
			return 0, nil, nil, fmt.Errorf("%w: proof line is not a base64 SM3 hash", ErrBadRequest)
		}
		if len(proof) == 63 {
			return 0, nil, nil, fmt.Errorf("%w: more than 63 proof hashes", ErrBadRequest)
		}
		var h ledger.Hash
		copy(h[:], raw)
		proof = append(proof, h)
	}
	return oldSize, proof, ckpt, nil
}

// Handler serves POST /add-checkpoint for w as tlog-witness specifies: 200 with the
// cosignature line; 409 with "<size>\n" (Content-Type text/x.tlog.size) when the old
// size is not the witness's; 404 unknown log; 403 bad log signature; 422 bad proof; 400
// malformed request.
func Handler(w *Witness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequestBytes))
		if err != nil {
			http.Error(rw, "request too large or unreadable", http.StatusBadRequest)
			return
		}
		old, proof, ckpt, err := ParseAddCheckpoint(body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		line, err := w.AddCheckpoint(r.Context(), old, proof, ckpt)
		var ce *ConflictError
		switch {
		case err == nil:
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Write(line)
		case errors.As(err, &ce):
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", ce.Size)
		case errors.Is(err, ErrUnknownLog):
			http.Error(rw, err.Error(), http.StatusNotFound)
		case errors.Is(err, ErrBadSignature):
			http.Error(rw, err.Error(), http.StatusForbidden)
		case errors.Is(err, ErrBadProof):
			http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
		case errors.Is(err, ErrBadRequest):
			http.Error(rw, err.Error(), http.StatusBadRequest)
		default:
			http.Error(rw, "witness failed: "+err.Error(), http.StatusInternalServerError)
		}
	})
	return mux
}
