package api

import (
	_ "embed"
	"net/http"
)

// openapiYAML is the OpenAPI 3.1 description of every route; the tests
// validate each request and response they make against it.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI returns the OpenAPI 3.1 document (YAML) of the service.
func OpenAPI() []byte { return openapiYAML }

func serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(openapiYAML)
	return nil
}
