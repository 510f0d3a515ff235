package ledger

import (
	"bytes"
	"encoding/json"
)

// marshalSubmission encodes a submission without HTML escaping (canonicalisation follows).
func marshalSubmission(s *Submission) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
