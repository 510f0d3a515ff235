// Package docs holds the project's documentation. Its only Go content is the OpenAPI
// document, embedded so that ledgerd serves exactly the file kept here (GET /openapi.yaml)
// and the two can never drift apart.
package docs
