package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml, the HTTP contract of ledgerd.
//
//go:embed openapi.yaml
var OpenAPI []byte
