package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/privacy"
)

// plaintextJSON is the body of GET /v1/events/{id}/plaintext: who did what, with the
// payload's protected fields opened where the key store still can, and the status of
// every protected field (decrypted, destroyed and by which event, no_key, corrupt). It is
// a reading aid, not evidence: the evidence is GET /v1/events/{id}, whose bytes and proof
// verify; this answer is derived from them.
type plaintextJSON struct {
	ID            string                `json:"id"`
	Seq           uint64                `json:"seq"`
	Stream        string                `json:"stream"`
	StreamVersion uint64                `json:"stream_version"`
	Type          string                `json:"type"`
	OccurredAt    string                `json:"occurred_at"`
	RecordedAt    string                `json:"recorded_at"`
	Actor         ledger.Actor          `json:"actor"`
	Payload       json.RawMessage       `json:"payload"`
	Fields        []privacy.FieldStatus `json:"fields"`
}

func (s *Server) getPlaintext(w http.ResponseWriter, r *http.Request) {
	seq, ok := s.eventSeq(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	st := s.l.Store()
	var e *ledger.Entry
	err := st.Entries(ctx, seq, seq+1, func(re ledger.RawEntry) error {
		var err error
		e, err = ledger.ParseEntry(bytes.Clone(re.Bytes))
		return err
	})
	if err == nil && e == nil {
		err = fmt.Errorf("entry %d is indexed but not stored", seq)
	}
	if err != nil {
		s.refuse(w, r, fmt.Errorf("reading entry %d: %w", seq, err))
		return
	}
	sub := e.Submission
	clear, fields, err := privacy.DecryptPayload(ctx, s.cfg.KeyStore, sub.ID, sub.Payload)
	if err != nil {
		s.refuse(w, r, fmt.Errorf("decrypting entry %d: %w", seq, err))
		return
	}
	if fields == nil {
		fields = []privacy.FieldStatus{}
	}
	var opened []string
	for _, f := range fields {
		if f.Status == privacy.StatusDecrypted {
			opened = append(opened, f.Path)
		}
	}
	noteRead(ctx, func(n *auditNote) { n.decrypted = append(n.decrypted, opened...) })
	writeJSON(w, http.StatusOK, plaintextJSON{
		ID: sub.ID, Seq: e.Seq, Stream: sub.Stream, StreamVersion: e.StreamVersion, Type: sub.Type,
		OccurredAt: sub.OccurredAt, RecordedAt: e.RecordedAt, Actor: sub.Actor, Payload: clear, Fields: fields,
	})
}
