package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// SearchHit is one act GET /v1/events found.
type SearchHit struct {
	Seq         uint64   `json:"seq"`
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Stream      string   `json:"stream"`
	Institution string   `json:"institution"`
	Person      string   `json:"person"`
	Resources   []string `json:"resources,omitempty"`
	Persons     []string `json:"persons,omitempty"`
	OccurredAt  string   `json:"occurred_at"`
	RecordedAt  string   `json:"recorded_at"`
	Day         string   `json:"day"`
	Hash        string   `json:"hash"`
}

// SearchPage is one page of GET /v1/events; NextCursor, when set, fetches the next.
type SearchPage struct {
	Events     []SearchHit `json:"events"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// Search asks the running ledger's investigation index (GET /v1/events) for the acts
// matching filters (institution, person, resource, type, stream, from, to, cursor,
// limit). The server shows the Token's role only what it may read.
func (c *Client) Search(ctx context.Context, filters url.Values) (*SearchPage, error) {
	path := "/v1/events"
	if len(filters) > 0 {
		path += "?" + filters.Encode()
	}
	_, body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, fmt.Errorf("searching: %w", err)
	}
	var p SearchPage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("searching: %w", err)
	}
	return &p, nil
}
