package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Whoami is GET /v1/whoami: who the server takes the client's credential for, so that a
// tool or the console can say under which person an export will be recorded, and check a
// token before using it.
type Whoami struct {
	Role        string    `json:"role"`
	RoleZH      string    `json:"role_zh"`
	Institution string    `json:"institution,omitempty"` // for the institution and submitter roles
	Person      string    `json:"person"`
	Credential  string    `json:"credential,omitempty"` // the token or certificate id, never the secret
	Method      string    `json:"method,omitempty"`     // token, cert, or dev (access control off)
	May         Abilities `json:"may"`
}

// Abilities are what the role may do (docs/access.md), as the server decides them.
type Abilities struct {
	ReadsAll bool     `json:"reads_all"` // every entry, not only its institution's
	ReadsOwn bool     `json:"reads_own"` // its institution's entries and those it holds
	Decrypts bool     `json:"decrypts"`  // protected fields in clear, where it may read
	Exports  bool     `json:"exports"`   // evidence bundles (recorded as an act)
	Reports  []string `json:"reports"`   // the report kinds it may read
}

// Whoami asks the server who the client's credential is.
func (c *Client) Whoami(ctx context.Context) (Whoami, error) {
	var w Whoami
	_, body, err := c.do(ctx, http.MethodGet, "/v1/whoami", nil)
	if err != nil {
		return w, fmt.Errorf("asking who this credential is: %w", err)
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return w, fmt.Errorf("reading GET /v1/whoami: %w", err)
	}
	return w, nil
}
