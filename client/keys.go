package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// RegisteredKey is the body of GET /v1/keys/{key_id}: what the key registry says of one
// key, so that anyone holding an entry can check its signature without trusting more
// than the registry (which bundles and verification prove).
type RegisteredKey struct {
	KeyID        string  `json:"key_id"`
	Institution  string  `json:"institution"`
	Role         string  `json:"role"`             // institution, root or ledger
	Person       string  `json:"person,omitempty"` // the official a personal key is bound to
	PublicKey    string  `json:"public_key"`       // PKIX PEM
	RegisteredAt uint64  `json:"registered_at"`    // seq of the registering entry
	RevokedAt    *uint64 `json:"revoked_at,omitempty"`
}

// Key fetches a registered key by id.
func (c *Client) Key(ctx context.Context, id string) (*RegisteredKey, error) {
	_, body, err := c.do(ctx, http.MethodGet, "/v1/keys/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, fmt.Errorf("reading key %s: %w", id, err)
	}
	var k RegisteredKey
	if err := json.Unmarshal(body, &k); err != nil {
		return nil, fmt.Errorf("reading key %s: %w", id, err)
	}
	return &k, nil
}
